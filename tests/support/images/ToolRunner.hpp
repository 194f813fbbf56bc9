#pragma once
// A private fork/exec helper for this library only (tar, curl, skopeo). It deliberately does not
// use tests/support/process so that the image helpers build on their own; the namespace keeps its
// symbols apart from that library's runCommand.
#include <chrono>
#include <string>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy::testing::imagesdetail {

struct ToolOutput {
  int exitCode = -1;  // 128 + signal number when the tool was killed
  std::string out;
  std::string err;
};

// Runs argv[0] (PATH lookup unless it contains '/') with stdin from /dev/null and collects stdout
// and stderr. Fails only when the tool could not be run or overran the timeout (it is then
// killed); a non-zero exit status is reported in ToolOutput, not as an error.
Result<ToolOutput> runTool(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::minutes(5));

// "skopeo copy ...": the argv joined for error messages.
std::string describeArgv(const std::vector<std::string>& argv);

}  // namespace autonomy::testing::imagesdetail
