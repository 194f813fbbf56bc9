#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/support/process/Ports.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TempDir, CreatesUniqueDirectoriesAndRemovesThemOnDestruction) {
  std::filesystem::path first;
  std::filesystem::path second;
  {
    TempDir a("selftest");
    TempDir b("selftest");
    first = a.path();
    second = b.path();
    EXPECT_NE(first, second);
    EXPECT_TRUE(std::filesystem::is_directory(first));
    std::ofstream(a / "file.txt") << "x";
    std::filesystem::create_directories(a / "nested" / "deeper");
  }
  EXPECT_FALSE(std::filesystem::exists(first));
  EXPECT_FALSE(std::filesystem::exists(second));
}

TEST(TempDir, KeepsDirectoryWhenAskedByEnvironment) {
  std::filesystem::path kept;
  ::setenv("AUTONOMY_KEEP_TEST_DIRS", "1", 1);
  {
    TempDir dir("kept");
    kept = dir.path();
  }
  ::unsetenv("AUTONOMY_KEEP_TEST_DIRS");
  EXPECT_TRUE(std::filesystem::is_directory(kept));
  std::filesystem::remove_all(kept);
}

TEST(RunCommand, CapturesStdoutStderrAndExitCode) {
  RunResult result = runCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exitCode, 3);
  EXPECT_EQ(result.stdoutText, "out\n");
  EXPECT_EQ(result.stderrText, "err\n");
  EXPECT_FALSE(result.timedOut);
  EXPECT_FALSE(result.ok());
}

TEST(RunCommand, ReportsDeathBySignalAsNegativeCode) {
  RunResult result = runCommand({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(result.exitCode, -SIGTERM);
}

TEST(RunCommand, PassesEnvironmentAdditionsAndWorkingDirectory) {
  TempDir dir("cwd");
  RunOptions options;
  options.env["AUTONOMY_SELFTEST_VALUE"] = "forty two";
  options.unsetEnv.push_back("HOME");
  options.cwd = dir.path();
  RunResult result = runCommand({"sh", "-c", "echo \"$AUTONOMY_SELFTEST_VALUE|${HOME-unset}\"; pwd -P"}, options);
  ASSERT_TRUE(result.ok()) << result.describe();
  EXPECT_EQ(result.stdoutText, "forty two|unset\n" + std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(RunCommand, ReadsLargeOutputOnBothStreamsWithoutDeadlock) {
  RunResult result = runCommand({"sh", "-c", "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2"});
  ASSERT_TRUE(result.ok()) << result.exitCode;
  EXPECT_EQ(result.stdoutText.size(), 3000000U);
  EXPECT_EQ(result.stderrText.size(), 2000000U);
}

TEST(RunCommand, FeedsStdinTextWhileReadingOutput) {
  RunOptions options;
  options.stdinText = std::string(2'000'000, 'a') + "end";
  RunResult result = runCommand({"cat"}, options);
  ASSERT_TRUE(result.ok()) << result.exitCode;
  EXPECT_EQ(result.stdoutText, *options.stdinText);
}

TEST(RunCommand, SurvivesCommandThatIgnoresItsStdin) {
  RunOptions options;
  options.stdinText = std::string(4'000'000, 'z');
  RunResult result = runCommand({"true"}, options);  // exits without reading: EPIPE, not SIGPIPE
  EXPECT_EQ(result.exitCode, 0);
}

TEST(RunCommand, KillsTheProcessGroupAtTheTimeout) {
  RunOptions options;
  options.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  // The grandchild sleep holds stdout open: only killing the group ends it.
  RunResult result = runCommand({"sh", "-c", "sleep 30 & sleep 30"}, options);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(result.timedOut);
  EXPECT_EQ(result.exitCode, -SIGKILL);
  EXPECT_LT(took, seconds(5));
}

TEST(RunCommand, TimeoutAppliesWhenTheCommandClosesItsOutput) {
  RunOptions options;
  options.timeout = milliseconds(300);
  RunResult result = runCommand({"sh", "-c", "exec >&- 2>&-; sleep 30"}, options);
  EXPECT_TRUE(result.timedOut);
}

TEST(RunCommand, ThrowsWhenTheProgramDoesNotExist) {
  EXPECT_THROW(runCommand({"autonomy-no-such-program-xyz"}), std::runtime_error);
  EXPECT_THROW(runCommand({"/nonexistent/dir/prog"}), std::runtime_error);
}

TEST(RunCommand, DoesNotLeakDescriptorsIntoTheChild) {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  int leaked = ::fcntl(sock, F_DUPFD, 200);  // F_DUPFD leaves FD_CLOEXEC clear
  ::close(sock);
  ASSERT_GE(leaked, 200);
  RunResult result = runCommand({"ls", "/proc/self/fd"});
  ::close(leaked);
  ASSERT_TRUE(result.ok()) << result.describe();
  EXPECT_EQ(result.stdoutText.find(std::to_string(leaked)), std::string::npos) << result.stdoutText;
}

TEST(Ports, FreePortCanBeBoundAndWaitForPortSeesTheListener) {
  std::uint16_t port = freePort();
  ASSERT_GT(port, 0);
  EXPECT_FALSE(waitForPort(port, milliseconds(100)));

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  EXPECT_TRUE(waitForPort(port, seconds(2)));
  ::close(fd);
}

}  // namespace
}  // namespace autonomy::testing
