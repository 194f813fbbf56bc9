#pragma once
// Run a command to completion and capture its output: skopeo pushes, curl probes, htpasswd,
// and our own CLI driven as a user would.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autonomy::testing {

struct RunOptions {
  std::map<std::string, std::string> env;  // added to (or replacing) the inherited environment
  std::vector<std::string> unsetEnv;       // removed from the inherited environment
  std::filesystem::path cwd;               // empty: inherit
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  std::optional<std::string> stdinText;  // nullopt: stdin is /dev/null
};

struct RunResult {
  int exitCode = -1;  // exit status, or -signal when the command was killed by a signal
  std::string stdoutText;
  std::string stderrText;
  bool timedOut = false;  // the timeout fired and the command's process group was SIGKILLed

  bool ok() const { return exitCode == 0 && !timedOut; }
  // "exit 1 (timed out)\nstdout: ...\nstderr: ..." for assertion messages.
  std::string describe() const;
};

// fork/exec argv[0] (looked up in PATH), read stdout and stderr concurrently with poll() (no
// deadlock on large output), feed stdinText, and kill the whole process group at the timeout.
// Throws std::runtime_error only if the command cannot be started (not found, exec failed).
RunResult runCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

}  // namespace autonomy::testing
