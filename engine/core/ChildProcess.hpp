#pragma once
// Runs a short-lived helper program (a Docker credential helper) with text on its stdin, a
// deadline and caps on what it may print: a helper that hangs or floods costs a bounded wait,
// never the caller. Blocking; the child is stopped by its own PID, never by name.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy {

struct ChildLimits {
  std::chrono::milliseconds timeout{10'000};
  std::size_t maxStdout = 64 * 1024;  // more is an error: no helper answer is that long
  std::size_t maxStderr = 4 * 1024;   // kept, the rest dropped
};

struct ChildResult {
  int exitCode = -1;  // -1: killed by a signal
  std::string stdoutText;
  std::string stderrText;
};

// argv[0] is looked up in PATH. Errors: cannot start (kNotFound when it is not installed),
// no answer within the timeout (the child is killed), more output than maxStdout.
Result<ChildResult> runChild(const std::vector<std::string>& argv, std::string_view input, ChildLimits limits = {});

}  // namespace autonomy
