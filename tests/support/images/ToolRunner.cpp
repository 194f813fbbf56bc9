#include "tests/support/images/ToolRunner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace autonomy::testing::imagesdetail {
namespace {

struct Pipe {
  int readEnd = -1;
  int writeEnd = -1;
  ~Pipe() { closeAll(); }
  void closeAll() {
    if (readEnd >= 0) ::close(readEnd);
    if (writeEnd >= 0) ::close(writeEnd);
    readEnd = writeEnd = -1;
  }
  bool open() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) return false;
    readEnd = fds[0];
    writeEnd = fds[1];
    return true;
  }
};

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void execChild(char* const* argv, int outFd, int errFd) {
  int devNull = ::open("/dev/null", O_RDONLY);
  if (devNull >= 0) ::dup2(devNull, STDIN_FILENO);
  ::dup2(outFd, STDOUT_FILENO);
  ::dup2(errFd, STDERR_FILENO);
  if (std::strchr(argv[0], '/') != nullptr) {
    ::execv(argv[0], argv);
  } else {
    ::execvp(argv[0], argv);
  }
  static constexpr char kMessage[] = "exec failed: ";
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  ignored = ::write(STDERR_FILENO, argv[0], std::strlen(argv[0]));
  ::_exit(127);
}

int waitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string describeArgv(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  return text;
}

Result<ToolOutput> runTool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) return makeError(ErrorCode::kInternal, "runTool: empty argv");
  std::vector<std::string> owned = argv;
  std::vector<char*> cargv;
  cargv.reserve(owned.size() + 1);
  for (auto& arg : owned) cargv.push_back(arg.data());
  cargv.push_back(nullptr);

  Pipe out;
  Pipe err;
  if (!out.open() || !err.open()) {
    return makeError(ErrorCode::kIo, "run " + argv[0] + ": pipe: " + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) return makeError(ErrorCode::kIo, "run " + argv[0] + ": fork: " + std::strerror(errno));
  if (pid == 0) execChild(cargv.data(), out.writeEnd, err.writeEnd);
  ::close(out.writeEnd);
  ::close(err.writeEnd);
  out.writeEnd = err.writeEnd = -1;

  ToolOutput result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<pollfd, 2> fds{pollfd{out.readEnd, POLLIN, 0}, pollfd{err.readEnd, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  std::array<char, 65536> buffer{};
  bool timedOut = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // closed by the child (or unreadable): stop polling it
      }
    }
  }
  if (timedOut) ::kill(pid, SIGKILL);
  result.exitCode = waitForExit(pid);
  if (timedOut) {
    return makeError(ErrorCode::kNetwork,
                     "run " + describeArgv(argv) + ": no exit after " + std::to_string(timeout.count()) +
                         " ms, killed; stderr: " + result.err,
                     true);
  }
  return result;
}

}  // namespace autonomy::testing::imagesdetail
