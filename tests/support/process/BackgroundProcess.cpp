#include "tests/support/process/BackgroundProcess.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "tests/support/process/ProcessSpawn.hpp"

namespace autonomy::testing {

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env,
                                     const std::filesystem::path& logPath) {
  start(argv, env, logPath);
}

BackgroundProcess::~BackgroundProcess() { stop(); }

BackgroundProcess::BackgroundProcess(BackgroundProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)),
      exitStatus_(std::exchange(other.exitStatus_, std::nullopt)),
      argv_(std::move(other.argv_)) {}

BackgroundProcess& BackgroundProcess::operator=(BackgroundProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, 0);
    exitStatus_ = std::exchange(other.exitStatus_, std::nullopt);
    argv_ = std::move(other.argv_);
  }
  return *this;
}

void BackgroundProcess::start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                              const std::filesystem::path& logPath) {
  stop();
  int logFd = -1;
  if (!logPath.empty()) {
    logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logFd < 0) {
      throw std::runtime_error("start " + describeCommand(argv) + ": open log " + logPath.string() + ": " +
                               std::strerror(errno));
    }
  }
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.stdoutFd = logFd;
  spec.stderrFd = logFd;
  try {
    pid_ = spawnProcess(spec);
  } catch (...) {
    if (logFd >= 0) ::close(logFd);
    throw;
  }
  if (logFd >= 0) ::close(logFd);
  exitStatus_.reset();
  argv_ = argv;
}

bool BackgroundProcess::running() { return started() && !waitFor(std::chrono::milliseconds(0)).has_value(); }

bool BackgroundProcess::sendSignal(int signal) {
  if (!running()) return false;
  return ::kill(pid_, signal) == 0;
}

std::optional<int> BackgroundProcess::waitFor(std::chrono::milliseconds timeout) {
  if (!started() || exitStatus_) return exitStatus_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exitStatus_ = decodeWaitStatus(status);
      return exitStatus_;
    }
    if (done < 0 && errno == ECHILD) {  // reaped elsewhere (SIGCHLD ignored): treat as gone
      exitStatus_ = -1;
      return exitStatus_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> BackgroundProcess::stop(std::chrono::milliseconds grace) {
  if (!started()) return std::nullopt;
  if (exitStatus_ || waitFor(std::chrono::milliseconds(0))) return exitStatus_;
  signalGroup(SIGTERM);
  signalGroup(SIGCONT);
  if (auto status = waitFor(grace)) return status;
  signalGroup(SIGKILL);
  return waitFor(std::chrono::seconds(30));
}

void BackgroundProcess::signalGroup(int signal) const {
  // The group id is our child's pid, which cannot be reused while the child is unreaped, so the
  // group is still ours. Fall back to the pid if the child left the group.
  if (::kill(-pid_, signal) != 0) ::kill(pid_, signal);
}

}  // namespace autonomy::testing
