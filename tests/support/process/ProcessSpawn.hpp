#pragma once
// fork/exec shared by runCommand and BackgroundProcess. Everything the child needs is prepared
// before fork(): the test binary may have threads (TokenServer), so the child only makes
// async-signal-safe calls between fork and exec.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace autonomy::testing {

struct SpawnSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH unless it has a '/'
  std::map<std::string, std::string> env;  // added to (or replacing) the inherited environment
  std::vector<std::string> unsetEnv;       // removed from the inherited environment
  std::filesystem::path cwd;               // empty: inherit
  int stdinFd = -1;                        // -1: /dev/null
  int stdoutFd = -1;                       // -1: /dev/null
  int stderrFd = -1;                       // -1: /dev/null
};

// Starts the child in its own process group (so a timeout or teardown can signal everything it
// started) with PR_SET_PDEATHSIG=SIGKILL (so it dies with the test even on a crash). Note the
// death signal fires when the *thread* that spawned it exits: spawn from long-lived threads.
// Throws std::runtime_error if the program is not found or exec fails.
pid_t spawnProcess(const SpawnSpec& spec);

// PATH lookup as the shell does it; throws std::runtime_error naming the program if absent.
std::filesystem::path findExecutable(std::string_view name);

// "sh -c 'x'"-style rendering of argv for error messages.
std::string describeCommand(const std::vector<std::string>& argv);

// Exit code for a waitpid() status: the exit status, or -signal when killed by a signal.
int decodeWaitStatus(int status);

}  // namespace autonomy::testing
