#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/process/BackgroundProcess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Alive and not a zombie waiting for someone else (e.g. a non-reaping PID 1) to reap it.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'Z';
}

bool goneWithin(pid_t pid, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

pid_t readPid(const std::filesystem::path& file, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return 0;
}

TEST(BackgroundProcess, KillsItsChildOnDestruction) {
  pid_t pid = 0;
  {
    BackgroundProcess process({"sleep", "60"});
    pid = process.pid();
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(process.running());
  }
  EXPECT_FALSE(alive(pid));
}

TEST(BackgroundProcess, KillsGrandchildrenInItsProcessGroup) {
  TempDir dir("bg");
  pid_t grandchild = 0;
  {
    BackgroundProcess process({"sh", "-c", "sleep 60 & echo $! > " + (dir / "pid").string() + "; wait"});
    grandchild = readPid(dir / "pid", seconds(5));
    ASSERT_GT(grandchild, 0);
    EXPECT_TRUE(alive(grandchild));
  }
  EXPECT_TRUE(goneWithin(grandchild, seconds(5)));
}

TEST(BackgroundProcess, EscalatesToSigkillWhenSigtermIsIgnored) {
  TempDir dir("bg");
  BackgroundProcess process({"sh", "-c", "trap '' TERM; touch " + (dir / "ready").string() + "; sleep 60"});
  while (!std::filesystem::exists(dir / "ready")) std::this_thread::sleep_for(milliseconds(10));
  auto start = std::chrono::steady_clock::now();
  std::optional<int> status = process.stop(milliseconds(300));
  EXPECT_EQ(status, -SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_FALSE(process.running());
}

TEST(BackgroundProcess, WaitForReturnsExitStatusAndSendSignalDelivers) {
  BackgroundProcess exiting({"sh", "-c", "exit 7"});
  EXPECT_EQ(exiting.waitFor(seconds(10)), 7);
  EXPECT_FALSE(exiting.sendSignal(SIGTERM));  // already reaped: never signals a reused pid

  BackgroundProcess sleeping({"sleep", "60"});
  EXPECT_EQ(sleeping.waitFor(milliseconds(50)), std::nullopt);
  EXPECT_TRUE(sleeping.sendSignal(SIGUSR1));
  EXPECT_EQ(sleeping.waitFor(seconds(10)), -SIGUSR1);
}

TEST(BackgroundProcess, AppendsOutputToTheLogFile) {
  TempDir dir("bg");
  BackgroundProcess process({"sh", "-c", "echo to-stdout; echo to-stderr >&2"}, {{"UNUSED_VAR", "1"}}, dir / "log");
  EXPECT_EQ(process.waitFor(seconds(10)), 0);
  std::ifstream log(dir / "log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("to-stdout"), std::string::npos);
  EXPECT_NE(text.str().find("to-stderr"), std::string::npos);
}

TEST(BackgroundProcess, ChildDiesWhenTheSpawningThreadExits) {
  // PR_SET_PDEATHSIG is tied to the spawning thread: this is why fixtures spawn from the test's
  // main thread. It also proves children cannot outlive a crashed test binary.
  BackgroundProcess process;
  std::thread spawner([&process] { process.start({"sleep", "60"}); });
  spawner.join();
  EXPECT_EQ(process.waitFor(seconds(10)), -SIGKILL);
}

TEST(BackgroundProcess, StartThrowsForMissingProgram) {
  BackgroundProcess process;
  EXPECT_THROW(process.start({"autonomy-no-such-program-xyz"}), std::runtime_error);
  EXPECT_FALSE(process.started());
}

}  // namespace
}  // namespace autonomy::testing
