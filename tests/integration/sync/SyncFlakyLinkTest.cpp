// A link to B that cuts every connection after 48 MiB (a flaky edge uplink) while a 72 MiB blob
// uploads in 32 MiB chunks: the first chunk of each try commits, a later one is cut. The run must
// end on its own (finished by resuming, or failed once retries stop making progress), and must not
// leave B's disk filling with abandoned upload sessions.
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/integration/sync/DropProxy.hpp"
#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/BackgroundProcess.hpp"
#include "tools/linkem/LinkProxyThread.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncFlakyLink = SyncFixture;
using namespace std::chrono_literals;

struct Sessions {
  std::size_t count = 0;
  std::uint64_t bytes = 0;
};

// Upload sessions B holds for `repo` (distribution's _uploads/<uuid>), and their bytes.
Sessions uploadSessions(const RegistryProcess& reg, const std::string& repo) {
  const auto dir = reg.storageDir() / "docker" / "registry" / "v2" / "repositories" / repo / "_uploads";
  Sessions s;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return s;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    ++s.count;
    const auto data = entry.path() / "data";
    if (std::filesystem::is_regular_file(data, ec)) s.bytes += std::filesystem::file_size(data, ec);
  }
  return s;
}

TEST_F(SyncFlakyLink, CutUploadsEndInBoundedTimeWithoutLeakingSessions) {
  constexpr std::uint64_t kBlob = 72 * kMiB;
  constexpr std::size_t kRunawaySessions = 8;  // far more restarts than any sane retry budget
  auto image = buildImage({LayerSpec(kSmallLayer, 601), LayerSpec(kBlob, 602).uncompressed()}, "flaky");
  push(a(), image, "drop/app", "v1");
  DropProxy link(b().port(), 48 * kMiB);

  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",
                                      "sync",
                                      "--from-registry",
                                      a().host(),
                                      "--to-registry",
                                      link.host(),
                                      "--repos",
                                      "drop/app:v1",
                                      "--allow-insecure-registry",
                                      "--skip-verify",
                                      "--blob-concurrency",
                                      "1",
                                      "--out",
                                      (work() / "out-flaky").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::filesystem::create_directories(work() / "home");
  const auto cliLog = work() / "cli-flaky.log";
  BackgroundProcess cli(argv, cliEnv(), cliLog);

  // Watch B: stop the run ourselves if it keeps opening sessions (each one holds up to 48 MiB).
  std::optional<int> status;
  std::size_t maxSessions = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    status = cli.waitFor(100ms);
    if (status) break;
    maxSessions = std::max(maxSessions, uploadSessions(b(), "drop/app").count);
    if (maxSessions >= kRunawaySessions) break;
  }
  const auto left = uploadSessions(b(), "drop/app");
  if (!status) cli.stop(2s);
  std::string log;
  {
    std::ifstream in(cliLog);
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  RecordProperty("proxy_connections", std::to_string(link.connections()));
  RecordProperty("proxy_cuts", std::to_string(link.drops()));

  ASSERT_TRUE(status.has_value()) << "the run was still going after " << link.drops() << " cut connections and "
                                  << maxSessions << " upload sessions at B (" << (left.bytes >> 20)
                                  << " MiB held in abandoned sessions); it restarts the blob forever\n"
                                  << log;
  EXPECT_TRUE(*status == 0 || *status == 1) << log;
  EXPECT_LE(left.count, 1u) << "abandoned upload sessions left at B: " << left.count << " holding "
                            << (left.bytes >> 20) << " MiB";
  if (*status == 0) {
    EXPECT_EQ(tagDigest(b(), "drop/app", "v1"), image.digest.str());
  } else {
    EXPECT_FALSE(b().hasTag("drop/app", "v1"));
  }
}

// The answers to B's first two blob commits are lost: B committed, the client saw a reset. A
// retried PUT finds the session gone (404); a HEAD then shows the blob is there, so the run
// succeeds instead of failing on a blob it had written.
TEST_F(SyncFlakyLink, LostCommitAnswersAreCheckedNotFailed) {
  auto image = buildImage({LayerSpec(kSmallLayer, 611), LayerSpec(kSmallLayer, 612)}, "lost-commit");
  push(a(), image, "lost/commit", "v1");
  DropProxy link(b().port(), LostAnswers{"PUT", "digest=sha256", 2});
  auto run = sync(a().host(), link.host(), {"lost/commit:v1"}, {"--skip-verify", "--blob-concurrency", "1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(link.drops(), 2u);
  EXPECT_EQ(tagDigest(b(), "lost/commit", "v1"), image.digest.str());
  EXPECT_EQ(uploadSessions(b(), "lost/commit").count, 0u);
}

// The answers to B's first two upload starts are lost. Retrying a POST cannot harm content
// (the lost session holds no bytes), but that session cannot be found again without its
// Location: at most those empty sessions stay for the registry to expire, and none with bytes.
TEST_F(SyncFlakyLink, LostUploadStartAnswersLeaveNoSessionHoldingBytes) {
  auto image = buildImage({LayerSpec(kSmallLayer, 621), LayerSpec(kSmallLayer, 622)}, "lost-post");
  push(a(), image, "lost/post", "v1");
  DropProxy link(b().port(), LostAnswers{"POST", "/blobs/uploads/", 2});
  auto run = sync(a().host(), link.host(), {"lost/post:v1"}, {"--skip-verify", "--blob-concurrency", "1"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_EQ(link.drops(), 2u);
  EXPECT_EQ(tagDigest(b(), "lost/post", "v1"), image.digest.str());
  const auto left = uploadSessions(b(), "lost/post");
  EXPECT_LE(left.count, 2u);
  EXPECT_EQ(left.bytes, 0u);
}

// A link to A that resets every connection after 24 MiB of downloaded bytes, under a 72 MiB
// blob: each cut read is reopened with a Range from the byte it reached, while the PATCH to B
// waits, so the blob arrives whole and A sends each byte about once.
TEST_F(SyncFlakyLink, CutDownloadsResumeWithARangeAndReadEachByteOnce) {
  constexpr std::uint64_t kBlob = 72 * kMiB;
  auto image = buildImage({LayerSpec(kSmallLayer, 611), LayerSpec(kBlob, 612).uncompressed()}, "range");
  push(a(), image, "range/app", "v1");
  linkem::LinkOptions opts;
  opts.upstreamPort = a().port();
  opts.dropAfterBytes = 24 * kMiB;
  opts.faultCounting = linkem::FaultCounting::kDown;
  linkem::LinkProxyThread link(opts);
  auto port = link.start();
  ASSERT_TRUE(port) << port.error().message;
  const std::string linkHost = "127.0.0.1:" + std::to_string(*port);

  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",
                                      "sync",
                                      "--from-registry",
                                      linkHost,
                                      "--to-registry",
                                      b().host(),
                                      "--repos",
                                      "range/app:v1",
                                      "--allow-insecure-registry",
                                      "--skip-verify",
                                      "--blob-concurrency",
                                      "1",
                                      "--out",
                                      (work() / "out-range").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions run;
  run.env = cliEnv();
  run.timeout = 120s;
  auto r = runCommand(argv, run);
  const auto stats = link.stats();
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(tagDigest(b(), "range/app", "v1"), image.digest.str());
  EXPECT_GE(stats.connectionsDropped, 2u) << "the link never cut a download: the test proves nothing";
  // Starting a read over from byte 0 could never pass a link that cuts at 24 MiB, so finishing
  // shows the resume. What may come down twice is what a reset throws away in flight (the
  // client's socket buffer, a few MiB on loopback), never a whole prefix.
  const std::uint64_t inFlight = 8 * kMiB * stats.connectionsDropped;
  EXPECT_LT(stats.bytesDown, kBlob + inFlight) << stats.bytesDown << " bytes came down the link for a " << kBlob
                                               << "-byte blob over " << stats.connectionsDropped << " cuts";
}

}  // namespace
}  // namespace autonomy::testing::syncit
