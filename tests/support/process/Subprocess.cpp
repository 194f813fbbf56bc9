#include "tests/support/process/Subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "tests/support/process/ProcessSpawn.hpp"

namespace autonomy::testing {

namespace {

using Clock = std::chrono::steady_clock;

// After a timeout kill, stop waiting for EOF if a grandchild outside the group holds the pipes.
constexpr auto kDrainAfterKill = std::chrono::seconds(2);

class Fd {
 public:
  Fd() = default;
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void adopt(int fd) {
    reset();
    fd_ = fd;
  }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

void makePipe(Pipe& pipe) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pipe.read.adopt(fds[0]);
  pipe.write.adopt(fds[1]);
}

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A child that exits before reading its stdin would raise SIGPIPE in the test process; block it
// on this thread while we write and swallow the one our write raised.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeGuard() {
    if (raised_) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      timespec zero{0, 0};
      sigtimedwait(&set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  void noteRaised() { raised_ = true; }

 private:
  sigset_t old_{};
  bool raised_ = false;
};

// Appends what is readable; returns false at EOF or on error.
bool drain(int fd, std::string& out) {
  std::array<char, 65536> buffer{};
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      out.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

int pollTimeoutMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 1000 ? 1000 : static_cast<int>(left);
}

}  // namespace

std::string RunResult::describe() const {
  std::string out = "exit " + std::to_string(exitCode);
  if (timedOut) out += " (timed out)";
  out += "\nstdout: " + stdoutText + "\nstderr: " + stderrText;
  return out;
}

RunResult runCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  Pipe out;
  Pipe err;
  Pipe in;
  makePipe(out);
  makePipe(err);
  if (options.stdinText) makePipe(in);

  SpawnSpec spec;
  spec.argv = argv;
  spec.env = options.env;
  spec.unsetEnv = options.unsetEnv;
  spec.cwd = options.cwd;
  spec.stdinFd = options.stdinText ? in.read.get() : -1;
  spec.stdoutFd = out.write.get();
  spec.stderrFd = err.write.get();
  pid_t pid = spawnProcess(spec);
  out.write.reset();
  err.write.reset();
  in.read.reset();
  setNonBlocking(out.read.get());
  setNonBlocking(err.read.get());
  if (in.write.open()) setNonBlocking(in.write.get());

  RunResult result;
  SigpipeGuard sigpipe;
  std::string_view pendingInput = options.stdinText ? std::string_view(*options.stdinText) : std::string_view();
  if (in.write.open() && pendingInput.empty()) in.write.reset();
  auto deadline = Clock::now() + options.timeout;

  while (out.read.open() || err.read.open()) {
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    auto add = [&](const Fd& fd, short events) {
      if (fd.open()) fds[count++] = pollfd{fd.get(), events, 0};
    };
    add(out.read, POLLIN);
    add(err.read, POLLIN);
    add(in.write, POLLOUT);
    int ready = ::poll(fds.data(), count, pollTimeoutMs(deadline));
    if (ready < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      if (result.timedOut) break;  // already killed and drained for the grace period
      result.timedOut = true;
      ::kill(-pid, SIGKILL);
      deadline = Clock::now() + kDrainAfterKill;
      in.write.reset();
      continue;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == out.read.get() && !drain(fd, result.stdoutText)) out.read.reset();
      if (fd == err.read.get() && !drain(fd, result.stderrText)) err.read.reset();
      if (fd == in.write.get()) {
        ssize_t n = ::write(fd, pendingInput.data(), pendingInput.size());
        if (n > 0) pendingInput.remove_prefix(static_cast<std::size_t>(n));
        if (n < 0 && errno == EPIPE) sigpipe.noteRaised();
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || pendingInput.empty()) in.write.reset();
      }
    }
  }
  in.write.reset();

  // The command may close its output and keep running: the timeout still applies.
  int status = 0;
  while (!result.timedOut) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (Clock::now() >= deadline) {
      result.timedOut = true;
      break;
    }
    ::usleep(2000);
  }
  if (result.timedOut) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.exitCode = decodeWaitStatus(status);
  return result;
}

}  // namespace autonomy::testing
