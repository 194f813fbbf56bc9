#include "engine/core/ChildProcess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace autonomy {

namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  Status open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return makeError(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
    return {};
  }
  static void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Pipe() {
    closeFd(read);
    closeFd(write);
  }
};

// Collects what the child writes and feeds its stdin, until both output pipes close, the
// deadline passes or stdout passes its cap.
enum class Drain { kDone, kTimedOut, kTooMuch };

Drain drain(Pipe& in, Pipe& out, Pipe& err, std::string_view input, const ChildLimits& limits, ChildResult& result) {
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  std::size_t written = 0;
  if (input.empty()) Pipe::closeFd(in.write);
  char buffer[4096];
  while (out.read >= 0 || err.read >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Drain::kTimedOut;
    pollfd fds[3];
    nfds_t n = 0;
    auto watch = [&](int fd, short events) {
      if (fd >= 0) fds[n++] = pollfd{fd, events, 0};
    };
    watch(out.read, POLLIN);
    watch(err.read, POLLIN);
    watch(in.write, POLLOUT);
    if (::poll(fds, n, static_cast<int>(left.count())) < 0 && errno != EINTR) return Drain::kTimedOut;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.write) {
        const ssize_t w = ::write(in.write, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == input.size()) Pipe::closeFd(in.write);  // EOF tells the helper the input ended
        continue;
      }
      const bool isOut = fds[i].fd == out.read;
      const ssize_t r = ::read(fds[i].fd, buffer, sizeof buffer);
      if (r <= 0) {
        Pipe::closeFd(isOut ? out.read : err.read);
        continue;
      }
      std::string& sink = isOut ? result.stdoutText : result.stderrText;
      const std::size_t cap = isOut ? limits.maxStdout : limits.maxStderr;
      if (isOut && sink.size() + static_cast<std::size_t>(r) > cap) return Drain::kTooMuch;
      sink.append(buffer, std::min(static_cast<std::size_t>(r), cap - std::min(cap, sink.size())));
    }
  }
  return Drain::kDone;
}

}  // namespace

Result<ChildResult> runChild(const std::vector<std::string>& argv, std::string_view input, ChildLimits limits) {
  if (argv.empty()) return makeError(ErrorCode::kInternal, "runChild: no program");
  Pipe in, out, err;
  for (Pipe* p : {&in, &out, &err})
    if (auto st = p->open(); !st) return st.error();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Its own process group, so that stopping it also stops what it started (a shell's children).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0)
    return makeError(rc == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "cannot run " + argv[0] + ": " + std::strerror(rc));
  Pipe::closeFd(in.read);
  Pipe::closeFd(out.write);
  Pipe::closeFd(err.write);
  // A helper that exits without reading its stdin must not kill us with SIGPIPE: block it for
  // this thread only (other threads keep their handling), and consume one raised meanwhile.
  sigset_t pipeSignal, previous;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous);
  ChildResult result;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  Drain how = drain(in, out, err, input, limits, result);
  const timespec now{0, 0};
  while (::sigtimedwait(&pipeSignal, nullptr, &now) > 0) {
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  // Output closed is not exited: wait for the exit up to the same deadline.
  int status = 0;
  while (how == Drain::kDone && ::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      how = Drain::kTimedOut;
      break;
    }
    ::usleep(2000);
  }
  if (how != Drain::kDone) {
    ::kill(-pid, SIGKILL);  // the group this call created, by its leader's PID
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (how == Drain::kTimedOut)
    return makeError(ErrorCode::kNetwork,
                     argv[0] + " did not answer within " + std::to_string(limits.timeout.count()) + " ms (stopped)",
                     true);
  if (how == Drain::kTooMuch)
    return makeError(ErrorCode::kInternal,
                     argv[0] + " printed more than " + std::to_string(limits.maxStdout) + " bytes (stopped)");
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace autonomy
