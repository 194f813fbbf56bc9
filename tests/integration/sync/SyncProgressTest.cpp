// What an operator watching a long sync sees: through a 2 MiB/s link, a plain progress line at
// the --progress-interval off a terminal (journald, CI logs), and on a terminal (a pty from
// `script`) a live line that is cleared before the summary, never run into it.
#include <string>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tools/linkem/LinkProxyThread.hpp"

namespace autonomy::testing::syncit {
namespace {

class SyncProgress : public SyncFixture {
 protected:
  // A 6 MiB image at A and a 2 MiB/s link to B: about three seconds of transfer.
  std::string slowLinkToB() {
    auto image = buildImage({LayerSpec(6 * kMiB, 801).uncompressed()}, "progress");
    push(a(), image, "slow/app", "v1");
    linkem::LinkOptions opts;
    opts.upstreamPort = b().port();
    opts.setRate(2 * kMiB);
    link_ = std::make_unique<linkem::LinkProxyThread>(opts);
    auto port = link_->start();
    if (!port) throw std::runtime_error(port.error().message);
    return "127.0.0.1:" + std::to_string(*port);
  }
  std::vector<std::string> syncArgs(const std::string& to) {
    auto argv = cliPrefix();
    const std::vector<std::string> args{"registry",
                                        "sync",
                                        "--from-registry",
                                        a().host(),
                                        "--to-registry",
                                        to,
                                        "--repos",
                                        "slow/app:v1",
                                        "--allow-insecure-registry",
                                        "--skip-verify",
                                        "--progress-interval",
                                        "1",
                                        "--out",
                                        (work() / "out").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  RunResult run(const std::vector<std::string>& argv) {
    std::filesystem::create_directories(work() / "home");
    RunOptions options;
    options.env = cliEnv();
    options.unsetEnv = cliUnsetEnv();
    options.timeout = std::chrono::seconds(60);
    return runCommand(argv, options);
  }

  std::unique_ptr<linkem::LinkProxyThread> link_;
};

TEST_F(SyncProgress, PlainLinesOffATerminalSayBytesOfTotalRateAndTimeLeft) {
  const auto to = slowLinkToB();
  auto r = run(syncArgs(to));
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  const auto& err = r.stderrText;
  EXPECT_EQ(err.find('\r'), std::string::npos) << "no live line off a terminal:\n" << err;
  std::size_t lines = 0;
  for (auto at = err.find("progress: "); at != std::string::npos; at = err.find("progress: ", at + 1)) {
    ++lines;
    const auto line = err.substr(at, err.find('\n', at) - at);
    EXPECT_NE(line.find("[0/1 repos, 1 running]"), std::string::npos) << line;
    EXPECT_NE(line.find(" of 6.0 MiB ("), std::string::npos) << line;
    EXPECT_NE(line.find("/s"), std::string::npos) << line;
  }
  EXPECT_GE(lines, 1u) << err;
}

TEST_F(SyncProgress, LiveLineOnATerminalIsClearedBeforeTheSummary) {
  const auto to = slowLinkToB();
  std::string command;
  for (const auto& arg : syncArgs(to)) command += "'" + arg + "' ";
  auto r = run({"script", "-qefc", command, "/dev/null"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  const auto& out = r.stdoutText;
  const auto live = out.find("\r\033[K[0/1 repos, 1 running] ");
  ASSERT_NE(live, std::string::npos) << "no live line on the terminal:\n" << r.describe();
  EXPECT_NE(out.find("%), "), std::string::npos) << out;
  const auto summary = out.find("sync " + a().host() + " -> ");
  ASSERT_NE(summary, std::string::npos) << out;
  const auto before = out.substr(0, summary);
  EXPECT_TRUE(before.ends_with("\n") || before.ends_with("\033[K")) << "the summary runs into the live line:\n"
                                                                    << out.substr(summary - 80, 160);
}

}  // namespace
}  // namespace autonomy::testing::syncit
