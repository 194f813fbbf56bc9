#include "tests/support/process/ProcessSpawn.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

extern char** environ;  // NOLINT: POSIX global

namespace autonomy::testing {

namespace {

// Stages reported back through the exec-error pipe so the parent can say what failed.
enum class ChildStage : int { kDup = 1, kChdir = 2, kExec = 3, kParentGone = 4 };

struct ChildFailure {
  int stage = 0;
  int error = 0;
};

[[noreturn]] void childFail(int reportFd, ChildStage stage) {
  ChildFailure failure{static_cast<int>(stage), errno};
  [[maybe_unused]] auto written = ::write(reportFd, &failure, sizeof failure);
  ::_exit(127);
}

void closeFrom(unsigned int first, unsigned int last) {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  long max = ::sysconf(_SC_OPEN_MAX);
  unsigned int limit = max > 0 && max < 65536 ? static_cast<unsigned int>(max) : 65536U;
  for (unsigned int fd = first; fd < limit && fd <= last; ++fd) ::close(static_cast<int>(fd));
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void runChild(const char* program, char* const* argv, char* const* envp, const char* cwd,
                           std::array<int, 3> stdFds, int reportFd, pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::signal(sig, SIG_DFL);
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) childFail(reportFd, ChildStage::kParentGone);
  for (int target = 0; target < 3; ++target) {
    int source = stdFds[static_cast<std::size_t>(target)];
    // dup2 onto itself keeps FD_CLOEXEC, so clear it explicitly in that case.
    int rc = source == target ? ::fcntl(target, F_SETFD, 0) : ::dup2(source, target);
    if (rc < 0) childFail(reportFd, ChildStage::kDup);
  }
  // Descriptors of other fixtures (listening sockets, pipes) must not leak into the child.
  auto report = static_cast<unsigned int>(reportFd);
  closeFrom(3, report - 1);
  closeFrom(report + 1, ~0U);
  if (cwd != nullptr && ::chdir(cwd) != 0) childFail(reportFd, ChildStage::kChdir);
  ::execve(program, argv, envp);
  childFail(reportFd, ChildStage::kExec);
}

std::vector<std::string> buildEnvironment(const SpawnSpec& spec) {
  std::set<std::string, std::less<>> dropped(spec.unsetEnv.begin(), spec.unsetEnv.end());
  for (const auto& [key, value] : spec.env) dropped.insert(key);
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    std::string_view key = eq == std::string_view::npos ? text : text.substr(0, eq);
    if (dropped.find(key) == dropped.end()) out.emplace_back(text);
  }
  for (const auto& [key, value] : spec.env) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string stageText(int stage) {
  switch (static_cast<ChildStage>(stage)) {
    case ChildStage::kDup:
      return "redirect stdio";
    case ChildStage::kChdir:
      return "chdir";
    case ChildStage::kExec:
      return "exec";
    case ChildStage::kParentGone:
      return "parent exited during spawn";
  }
  return "spawn";
}

}  // namespace

std::filesystem::path findExecutable(std::string_view name) {
  if (name.empty()) throw std::runtime_error("spawn: empty argv");
  if (name.find('/') != std::string_view::npos) return std::filesystem::path(name);
  const char* pathEnv = std::getenv("PATH");
  std::string_view path = pathEnv != nullptr ? pathEnv : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  throw std::runtime_error("spawn: '" + std::string(name) + "' not found in PATH (install its Debian package)");
}

std::string describeCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return out;
}

int decodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

pid_t spawnProcess(const SpawnSpec& spec) {
  std::filesystem::path program = findExecutable(spec.argv.empty() ? std::string_view() : spec.argv.front());
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> envStrings = buildEnvironment(spec);
  std::vector<char*> argPtrs = pointers(args);
  std::vector<char*> envPtrs = pointers(envStrings);
  std::string programText = program.string();
  std::string cwdText = spec.cwd.string();

  int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devNull < 0) throw std::runtime_error(std::string("spawn: open /dev/null: ") + std::strerror(errno));
  std::array<int, 3> stdFds{spec.stdinFd < 0 ? devNull : spec.stdinFd, spec.stdoutFd < 0 ? devNull : spec.stdoutFd,
                            spec.stderrFd < 0 ? devNull : spec.stderrFd};
  std::array<int, 2> report{};
  if (::pipe2(report.data(), O_CLOEXEC) != 0) {
    ::close(devNull);
    throw std::runtime_error(std::string("spawn: pipe: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    runChild(programText.c_str(), argPtrs.data(), envPtrs.data(), cwdText.empty() ? nullptr : cwdText.c_str(), stdFds,
             report[1], parent);
  }
  int forkErrno = errno;
  ::close(report[1]);
  ::close(devNull);
  if (pid < 0) {
    ::close(report[0]);
    throw std::runtime_error("spawn " + describeCommand(spec.argv) + ": fork: " + std::strerror(forkErrno));
  }
  ::setpgid(pid, pid);  // also from the parent, so signalling the group never races the child

  ChildFailure failure;
  ssize_t got = 0;
  do {
    got = ::read(report[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::runtime_error("spawn " + describeCommand(spec.argv) + ": " + stageText(failure.stage) + ": " +
                             std::strerror(failure.error));
  }
  return pid;
}

}  // namespace autonomy::testing
