#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/linkem/TestClient.hpp"
#include "tests/unit/linkem/TestServer.hpp"

using namespace autonomy::linkem::testing;
using namespace std::chrono_literals;

extern char** environ;

namespace {

// The linkem binary with its stdout on a pipe.
class LinkemProcess {
 public:
  explicit LinkemProcess(std::vector<std::string> args) {
    args.insert(args.begin(), std::string(AUTONOMY_BIN_DIR) + "/linkem");
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~LinkemProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  // Reads stdout until a newline (or EOF), waiting at most `timeout`.
  std::string readLine(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      if (::read(out_, &c, 1) != 1 || c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  // Sends `signal` and returns the exit status, or -1 if it did not exit normally.
  int signalAndWait(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace

TEST(LinkemExe, PrintsPortForwardsAndPrintsStatsOnSigterm) {
  TestServer echo(TestServer::Mode::kEcho);
  const auto statsFile = std::filesystem::temp_directory_path() / ("linkem-stats-" + std::to_string(::getpid()));
  LinkemProcess linkem({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(echo.port()),
                        "--latency-ms", "5", "--rate", "10MiB", "--stats", statsFile.string(), "--stats-interval-ms",
                        "50"});
  ASSERT_TRUE(linkem.started());
  const std::string first = linkem.readLine(5s);
  const std::string prefix = "listening 127.0.0.1:";
  ASSERT_EQ(first.rfind(prefix, 0), 0u) << first;
  const int port = std::stoi(first.substr(prefix.size()));
  ASSERT_GT(port, 0);
  {
    TestClient client(static_cast<std::uint16_t>(port));
    ASSERT_TRUE(client.sendAll("hello"));
    EXPECT_EQ(client.read(5, 3s), "hello");
  }
  EXPECT_EQ(linkem.signalAndWait(SIGTERM), 0);
  const std::string json = linkem.readLine(2s);
  EXPECT_NE(json.find("\"bytes_up\":5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"connections_accepted\":1"), std::string::npos) << json;

  std::ifstream in(statsFile);
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_NE(written.str().find("\"bytes_down\":5"), std::string::npos) << written.str();
  std::filesystem::remove(statsFile);
}

TEST(LinkemExe, RejectsABadRateWithUsageExit) {
  LinkemProcess linkem({"--upstream", "127.0.0.1:1", "--rate", "fast"});
  ASSERT_TRUE(linkem.started());
  EXPECT_EQ(linkem.signalAndWait(0), 2);
}
