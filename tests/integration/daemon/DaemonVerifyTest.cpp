// Verification through the daemon: jobs accept cosign 3's Sigstore bundles as the CLI does, and
// `rekor_keys:` in the config makes a verified transparency-log entry mandatory for every job.
#include <fstream>
#include <sstream>

#include "tests/integration/daemon/DaemonFixture.hpp"

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;

class DaemonVerify : public DaemonIntegration {};

json repoRecord(const json& catalog, const std::string& repo) {
  for (const auto& r : catalog["repos"])
    if (r["repo"] == repo) return r;
  return json();
}

TEST_F(DaemonVerify, BundleSignedImagesVerifyAndRekorKeysMakeTheLogMandatory) {
  pushBundleSignedImage("fleet/perception", "v3", 61);
  pushSignedImage("fleet/legacy", "v1", 62);
  writeConfig({});
  startDaemon();

  auto submitted = submit(jobBody({"fleet/perception:v3", "fleet/legacy:v1"}));
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const std::string id = submitted.json()["id"];
  const auto done = waitFinished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  const auto catalog = get("/v1/jobs/" + id + "/catalog").json();
  EXPECT_EQ(repoRecord(catalog, "fleet/perception")["verification"]["format"], "sigstore-bundle") << catalog.dump(2);
  EXPECT_EQ(repoRecord(catalog, "fleet/legacy")["verification"]["format"], "simple-signing") << catalog.dump(2);
  EXPECT_EQ(b().tags("fleet/perception").size(), 2u) << "the image tag and the fallback index tag";
  expectConsistentAtB("fleet/perception");

  // With a Rekor key configured, neither signature (no log entries) is enough any more.
  ASSERT_EQ(stopDaemon(), 0);
  const auto rekor = work() / "rekor.pub";
  std::ofstream(rekor) << CosignSigner(KeyKind::kEcdsaP256).publicPem();
  DaemonSettings settings;
  settings.rekorKey = rekor;
  writeConfig(settings);
  startDaemon();
  pushBundleSignedImage("fleet/fresh", "v1", 63);
  auto strict = submit(jobBody({"fleet/fresh:v1"}));
  ASSERT_EQ(strict.status, 202) << strict.describe();
  const auto refused = waitFinished(strict.json()["id"].get<std::string>());
  ASSERT_EQ(refused["state"], "failed") << refused.dump(2);
  const auto& error = refused["repos"][0]["error"];
  EXPECT_EQ(error["code"], "verification") << refused.dump(2);
  EXPECT_NE(error["message"].get<std::string>().find("has no tlog entries"), std::string::npos) << refused.dump(2);
  EXPECT_TRUE(b().tags("fleet/fresh").empty());
}

// The daemon keeps its verdicts between jobs: a re-seed that finds the same signature bytes
// fetches no payload, and a changed signature is judged afresh (here: by a key it does not trust).
TEST_F(DaemonVerify, UnchangedSignatureIsNotFetchedAgainAndAChangedOneIsCheckedAgain) {
  const std::string repo = "fleet/nav";
  const auto digest = pushSignedImage(repo, "v1", 65);
  writeConfig({});
  startDaemon();
  const auto runJob = [&] {
    auto submitted = submit(jobBody({repo + ":v1"}));
    EXPECT_EQ(submitted.status, 202) << submitted.describe();
    return waitFinished(submitted.json()["id"].get<std::string>());
  };
  const auto blobGetsAtA = [&] {
    std::istringstream log(a().logText());
    std::size_t n = 0;
    for (std::string line; std::getline(log, line);)
      if (line.find("\"GET /v2/" + repo + "/blobs/") != std::string::npos) ++n;
    return n;
  };
  const auto first = runJob();
  ASSERT_EQ(first["state"], "succeeded") << first.dump(2);
  ASSERT_EQ(first["repos"][0]["state"], "copied") << first.dump(2);
  const auto fetched = blobGetsAtA();
  ASSERT_GT(fetched, 0u);

  const auto again = runJob();
  ASSERT_EQ(again["state"], "succeeded") << again.dump(2);
  EXPECT_EQ(again["repos"][0]["state"], "up-to-date") << again.dump(2);
  EXPECT_EQ(blobGetsAtA(), fetched) << "the unchanged signature's payload was fetched again";

  pushSignatureBy(repo, digest, CosignSigner(KeyKind::kEcdsaP256));
  const auto refused = runJob();
  ASSERT_EQ(refused["state"], "failed") << refused.dump(2);
  EXPECT_EQ(refused["repos"][0]["error"]["code"], "verification") << refused.dump(2);
  EXPECT_GT(blobGetsAtA(), fetched) << "the new signature's payload was fetched and checked";
}

}  // namespace
}  // namespace autonomy::testing::daemonit
