// SIGINT in the middle of a large blob: the CLI stops promptly with 130, records the repo as
// cancelled, and B shows no tag for content it never finished; a re-run then completes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/BackgroundProcess.hpp"

namespace autonomy::testing::syncit {
namespace {

using SyncInterrupt = SyncFixture;
using namespace std::chrono_literals;

// Bytes B holds in its largest upload session for `repo` (distribution's _uploads/<uuid>/data).
std::uint64_t uploadedBytes(const RegistryProcess& reg, const std::string& repo) {
  const auto dir = reg.storageDir() / "docker" / "registry" / "v2" / "repositories" / repo / "_uploads";
  std::uint64_t total = 0;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == "data" && it->is_regular_file(ec)) total = std::max(total, it->file_size(ec));
  }
  return total;
}

TEST_F(SyncInterrupt, SigintMidBlobExits130AndTagsNothing) {
  constexpr std::uint64_t kBig = 96 * kMiB;
  auto image = buildImage({LayerSpec(kSmallLayer, 401), LayerSpec(kBig, 402).uncompressed()}, "big");
  push(a(), image, "big-model", "v1");
  const BlobRef big = image.blobs.at(2);
  ASSERT_GE(big.size, kBig);

  const auto out = work() / "out-interrupted";
  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",
                                      "sync",
                                      "--from-registry",
                                      a().host(),
                                      "--to-registry",
                                      b().host(),
                                      "--repos",
                                      "big-model:v1",
                                      "--allow-insecure-registry",
                                      "--skip-verify",
                                      "--out",
                                      out.string(),
                                      "--max-connections",
                                      "2",
                                      "--blob-concurrency",
                                      "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::filesystem::create_directories(work() / "home");
  const auto cliLog = work() / "cli.log";
  BackgroundProcess cli(argv, cliEnv(), cliLog);

  // Wait until B is receiving the big blob (more bytes in one upload session than any small blob
  // has), then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool streaming = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (uploadedBytes(b(), "big-model") > 1 * kMiB) {
      streaming = true;
      break;
    }
    if (!cli.running()) break;
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(streaming) << "the CLI never started uploading to B; exit "
                         << (cli.exitStatus() ? std::to_string(*cli.exitStatus()) : "-") << "\n"
                         << SyncFixture::requestsSince(b(), LogMark{}).size() << " requests at B";
  const auto signalledAt = std::chrono::steady_clock::now();
  RecordProperty("uploaded_bytes_at_sigint", std::to_string(uploadedBytes(b(), "big-model")));
  ASSERT_TRUE(cli.sendSignal(SIGINT)) << "the CLI exited before it could be interrupted";
  const auto status = cli.waitFor(10s);
  const auto took = std::chrono::steady_clock::now() - signalledAt;
  ASSERT_TRUE(status.has_value()) << "the CLI did not exit within 10 s of SIGINT";
  std::string log;
  {
    std::ifstream in(cliLog);
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(*status, 130) << log;
  RecordProperty("ms_to_exit_after_sigint",
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, 5s) << "SIGINT took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms to stop the run";

  // Nothing incomplete is tagged at B, and the big blob was not committed.
  EXPECT_FALSE(b().hasTag("big-model", "v1"));
  EXPECT_TRUE(b().manifestLinks("big-model").empty()) << ::testing::PrintToString(b().manifestLinks("big-model"));
  EXPECT_FALSE(hasBlob(b(), big.digest.str()));
  EXPECT_TRUE(requestsFor(b(), "PUT", "/manifests/").empty());

  CliRun interrupted;
  interrupted.out = out;
  auto seed = seedJson(interrupted, "big-model");
  EXPECT_EQ(seed["status"], "cancelled") << seed.dump(2);
  ASSERT_TRUE(seed["error"].is_object()) << seed.dump(2);
  EXPECT_EQ(seed["error"]["code"], "cancelled");
  EXPECT_NE(catalogJson(interrupted)["result"], "ok");

  // A re-run completes and leaves B with exactly A's content.
  auto rerun = sync({"big-model:v1"});
  ASSERT_EQ(rerun.exitCode(), 0) << rerun.describe();
  EXPECT_EQ(tagDigest(b(), "big-model", "v1"), image.digest.str());
  EXPECT_TRUE(hasBlob(b(), big.digest.str()));
  EXPECT_EQ(std::filesystem::file_size(b().blobDataPath(big.digest.str())), big.size);
}

// A copy within one registry (seed A/x -> A/y) streams each blob over two connections to the same
// host at once (GET from the source repo, PATCH to the destination repo). With --max-connections 1
// that must still finish (e.g. by not holding the source stream while waiting for the upload slot),
// or be refused up front, but never hang.
TEST_F(SyncInterrupt, SameRegistryWithOneConnectionDoesNotHang) {
  auto image = pushSmallImage(a(), "fleet/nav", "v2", 501);
  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",
                                      "seed",
                                      "--from",
                                      a().host() + "/fleet/nav:v2",
                                      "--to",
                                      a().host() + "/backup/nav",
                                      "--allow-insecure-registry",
                                      "--skip-verify",
                                      "--max-connections",
                                      "1",
                                      "--out",
                                      (work() / "out-one-conn").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::filesystem::create_directories(work() / "home");
  RunOptions options;
  options.env = cliEnv();
  options.unsetEnv = cliUnsetEnv();
  options.timeout = 15s;
  auto result = runCommand(argv, options);
  ASSERT_FALSE(result.timedOut) << "seed within one registry with --max-connections 1 hung for 15 s\n"
                                << result.describe();
  EXPECT_TRUE(result.exitCode == 0 || result.exitCode == 2) << result.describe();
  if (result.exitCode == 0) {
    EXPECT_EQ(tagDigest(a(), "backup/nav", "v2"), image.digest.str());
  }
}

// SIGINT must stop a run even when nothing is moving: here the source accepts connections and
// never answers (a hung registry), so the run waits on a socket until the stall timeout (60 s).
TEST_F(SyncInterrupt, SigintStopsARunWaitingOnAnUnresponsiveRegistry) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 64), 0);  // the kernel completes handshakes; nobody ever reads
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string hungHost = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } closeListener{listener};

  auto argv = cliPrefix();
  const std::vector<std::string> args{"registry",
                                      "sync",
                                      "--from-registry",
                                      hungHost,
                                      "--to-registry",
                                      b().host(),
                                      "--repos",
                                      "robot-behavior:v1",
                                      "--allow-insecure-registry",
                                      "--skip-verify",
                                      "--out",
                                      (work() / "out-hung").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::filesystem::create_directories(work() / "home");
  const auto cliLog = work() / "cli-hung.log";
  BackgroundProcess cli(argv, cliEnv(), cliLog);
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(cli.running()) << "the run ended before it could be interrupted";
  ASSERT_TRUE(cli.sendSignal(SIGINT));
  const auto status = cli.waitFor(5s);
  std::string log;
  {
    std::ifstream in(cliLog);
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_TRUE(status.has_value()) << "one SIGINT did not stop a run waiting on " << hungHost << " within 5 s\n" << log;
  EXPECT_EQ(*status, 130) << log;
  CliRun interrupted;
  interrupted.out = work() / "out-hung";
  EXPECT_EQ(seedJson(interrupted, "robot-behavior")["status"], "cancelled");
}

}  // namespace
}  // namespace autonomy::testing::syncit
