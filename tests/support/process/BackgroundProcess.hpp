#pragma once
// A long-running child (docker-registry, our daemon) owned by a test. Its own process group and
// PR_SET_PDEATHSIG mean nothing outlives the test binary; the destructor stops and reaps it.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autonomy::testing {

class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  // Same as start(); throws std::runtime_error if the program cannot be started.
  BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                    const std::filesystem::path& logPath = {});
  ~BackgroundProcess();
  BackgroundProcess(BackgroundProcess&& other) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&& other) noexcept;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // stdout and stderr are appended to logPath (empty: /dev/null); stdin is /dev/null. A process
  // still running from an earlier start() is stopped first.
  void start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             const std::filesystem::path& logPath = {});

  pid_t pid() const { return pid_; }  // 0 before start(); stays set after the process exits
  bool started() const { return pid_ > 0; }
  bool running();  // reaps the process if it has exited

  // Signals the process itself (not its group); false if it has already exited.
  bool sendSignal(int signal);

  // Exit code (or -signal) once the process has exited; nullopt if it is still running when the
  // timeout elapses. A zero timeout just checks.
  std::optional<int> waitFor(std::chrono::milliseconds timeout);
  std::optional<int> exitStatus() const { return exitStatus_; }

  // SIGTERM (plus SIGCONT, in case a test stopped it) to the process group, then SIGKILL after
  // the grace period; reaps and returns the exit status. No-op when not running.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  const std::vector<std::string>& argv() const { return argv_; }

 private:
  void signalGroup(int signal) const;

  pid_t pid_ = 0;
  std::optional<int> exitStatus_;
  std::vector<std::string> argv_;
};

}  // namespace autonomy::testing
