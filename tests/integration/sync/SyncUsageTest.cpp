// Usage and configuration errors exit 2 before any request is made: no registry hears of them.
#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/signer/CosignSigner.hpp"

namespace autonomy::testing::syncit {
namespace {

class SyncUsage : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    pushSmallImage(a(), "good", "v1", 201);
    aMark_ = mark(a());
    bMark_ = mark(b());
  }

  // Exit 2, something on stderr, and neither registry saw a request.
  void expectRejected(const CliRun& run, const std::string& why) {
    SCOPED_TRACE(why);
    EXPECT_EQ(run.exitCode(), 2) << run.describe();
    EXPECT_FALSE(run.result.stderrText.empty()) << run.describe();
    EXPECT_TRUE(requestsSince(a(), aMark_).empty()) << ::testing::PrintToString(requestsSince(a(), aMark_));
    EXPECT_TRUE(requestsSince(b(), bMark_).empty()) << ::testing::PrintToString(requestsSince(b(), bMark_));
    EXPECT_FALSE(repoExists(b(), "good"));
    EXPECT_FALSE(std::filesystem::exists(run.out / "catalog.json")) << "a usage error wrote a catalog";
    // Each check stands alone: a run that got through must not fail the next one too.
    aMark_ = mark(a());
    bMark_ = mark(b());
  }

  LogMark aMark_;
  LogMark bMark_;
};

TEST_F(SyncUsage, InvalidRepoNamesAreRejectedBeforeAnyRequest) {
  const std::vector<std::string> bad{
      "../x",           "Upper",   "Upper/case:v1", std::string(300, 'a'),           "good:bad tag",
      "x/../../etc:v1", "/abs:v1", "a//b:v1",       "good:" + std::string(200, 't'), "-dash:v1"};
  for (const auto& name : bad) {
    // The bad name after a good one: validation happens before the first repo is touched.
    expectRejected(sync({"good:v1", name}, {"--skip-verify"}), "--repos good:v1," + name);
    expectRejected(sync({name}, {"--skip-verify"}), "--repos " + name);
  }
  auto empty = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(), "--repos", "",
                       "--allow-insecure-registry", "--skip-verify"});
  expectRejected(empty, "--repos ''");
  auto emptyRepeated = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(),
                               "--repos", "good:v1", "--repos", "", "--allow-insecure-registry", "--skip-verify"});
  expectRejected(emptyRepeated, "--repos good:v1 --repos ''");
}

// An empty entry in a comma-separated list ("a:v1,,b:v1", "a:v1,") is an empty repository name,
// as `--repos ''` is: a typo the operator should hear about, not a silently shorter list.
TEST_F(SyncUsage, EmptyEntryInRepoListIsRejected) {
  expectRejected(sync({"absent:v1", "", "other:v1"}, {"--skip-verify"}), "--repos absent:v1,,other:v1");
  expectRejected(sync({"good:v1", ""}, {"--skip-verify"}), "--repos good:v1,");
}

TEST_F(SyncUsage, OverlongRepoNameMessageSaysWhy) {
  auto run = sync({std::string(300, 'a') + ":v1"}, {"--skip-verify"});
  expectRejected(run, "300 chars");
  EXPECT_TRUE(contains(run.result.stderrText, "255") || contains(lower(run.result.stderrText), "long"))
      << run.describe();
}

TEST_F(SyncUsage, UnknownFlagAndMissingRequiredFlag) {
  expectRejected(sync({"good:v1"}, {"--skip-verify", "--bogus-flag"}), "unknown flag");
  auto missingTo = runCli({"registry", "sync", "--from-registry", a().host(), "--repos", "good:v1",
                           "--allow-insecure-registry", "--skip-verify"});
  expectRejected(missingTo, "no --to-registry");
  EXPECT_TRUE(contains(missingTo.result.stderrText, "--to-registry")) << missingTo.describe();
  auto missingRepos = runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(),
                              "--allow-insecure-registry", "--skip-verify"});
  expectRejected(missingRepos, "no --repos");
  EXPECT_TRUE(contains(missingRepos.result.stderrText, "--repos")) << missingRepos.describe();
  expectRejected(sync("not a host!", b().host(), {"good:v1"}, {"--skip-verify"}), "bad --from-registry");
}

TEST_F(SyncUsage, VerificationChoiceIsRequiredAndExclusive) {
  auto neither = sync({"good:v1"}, {});
  expectRejected(neither, "neither --pub-key nor --skip-verify");
  EXPECT_TRUE(contains(neither.result.stderrText, "--pub-key")) << neither.describe();
  EXPECT_TRUE(contains(neither.result.stderrText, "--skip-verify")) << neither.describe();

  CosignSigner signer(KeyKind::kEcdsaP256);
  const auto key = writeFile("cosign.pub", signer.publicPem());
  auto both = sync({"good:v1"}, {"--pub-key", key.string(), "--skip-verify"});
  expectRejected(both, "both --pub-key and --skip-verify");
  EXPECT_TRUE(contains(both.result.stderrText, "--pub-key")) << both.describe();

  auto noKeyFile = sync({"good:v1"}, {"--pub-key", (work() / "absent.pub").string()});
  expectRejected(noKeyFile, "--pub-key names a missing file");
  auto notAKey = sync({"good:v1"}, {"--pub-key", writeFile("garbage.pub", "not a pem").string()});
  expectRejected(notAKey, "--pub-key is not a PEM key");
}

TEST_F(SyncUsage, BadRateCapsAreRejected) {
  expectRejected(sync({"good:v1"}, {"--skip-verify", "--limit-rate", "fast"}), "--limit-rate fast");
  expectRejected(sync({"good:v1"}, {"--skip-verify", "--limit-rate", "0"}), "--limit-rate 0");
  expectRejected(sync({"good:v1"}, {"--skip-verify", "--limit-rate", "2 parsecs/s"}), "--limit-rate in parsecs");
}

TEST_F(SyncUsage, DuplicateRepoIsRejected) {
  expectRejected(sync({"good:v1", "good:v1"}, {"--skip-verify"}), "same repo:tag twice");
}

TEST_F(SyncUsage, BrokenAuthFileIsAConfigurationError) {
  const auto broken = writeFile("auth.json", "{ not json");
  expectRejected(sync({"good:v1"}, {"--skip-verify", "--authfile", broken.string()}), "auth file not JSON");
}

}  // namespace
}  // namespace autonomy::testing::syncit
