// The REST API of the real daemon, driven with curl: submit, follow, catalog, refusals.
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>

#include "tests/integration/daemon/DaemonFixture.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TextFiles.hpp"

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;

class DaemonApi : public DaemonIntegration {};

TEST_F(DaemonApi, SubmitFollowEventsAndFetchTheCatalog) {
  const auto behaviorDigest = pushSignedImage("robot-behavior", "v1", 1);
  const auto navDigest = pushSignedImage("fleet/nav-stack", "v2", 2);
  writeConfig({});
  startDaemon();

  auto submitted = submit(jobBody({"robot-behavior:v1", "fleet/nav-stack:v2"}));
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const auto job = submitted.json();
  const std::string id = job["id"];
  EXPECT_EQ(submitted.header("Location"), "/v1/jobs/" + id);
  EXPECT_EQ(job["from_registry"], a().host());
  EXPECT_EQ(job["verification"]["key"], "fleet");

  // The event stream ends by itself when the job is done.
  auto events = std::async(std::launch::async, [&] {
    return runCommand({"curl", "-sS", "-N", "--max-time", "60", "-H", "Authorization: Bearer " + token(),
                       baseUrl() + "/v1/jobs/" + id + "/events"});
  });
  const auto done = waitFinished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  for (const auto& repo : done["repos"]) {
    EXPECT_EQ(repo["state"], "copied") << repo.dump();
    EXPECT_GT(repo["bytes"].get<std::uint64_t>(), 0u);
    EXPECT_TRUE(repo["error"].is_null());
  }
  EXPECT_EQ(done["repos"][0]["digest"], behaviorDigest);
  EXPECT_EQ(done["repos"][1]["digest"], navDigest);
  auto stream = events.get();
  ASSERT_TRUE(stream.ok()) << stream.describe();
  EXPECT_NE(stream.stdoutText.find("event: snapshot"), std::string::npos) << stream.stdoutText;
  EXPECT_NE(stream.stdoutText.find("event: job-done"), std::string::npos) << stream.stdoutText;

  auto catalog = get("/v1/jobs/" + id + "/catalog");
  ASSERT_EQ(catalog.status, 200) << catalog.describe();
  const auto cat = catalog.json();
  EXPECT_EQ(cat["result"], "ok");
  EXPECT_EQ(cat["from"], a().host());
  EXPECT_EQ(cat["to"], b().host());
  ASSERT_EQ(cat["repos"].size(), 2u);
  EXPECT_NE(cat["repos"][0]["verification"], "skipped");
  EXPECT_TRUE(std::filesystem::exists(stateDir() / "jobs" / id / "fleet" / "nav-stack" / "seed.json"));
  EXPECT_TRUE(std::filesystem::exists(stateDir() / "jobs" / id / "robot-behavior" / "seed.json"));

  EXPECT_TRUE(b().hasTag("robot-behavior", "v1"));
  EXPECT_TRUE(b().hasTag("fleet/nav-stack", "v2"));
  expectConsistentAtB("robot-behavior");
  expectConsistentAtB("fleet/nav-stack");

  auto list = get("/v1/jobs?state=succeeded");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["jobs"].size(), 1u);
  EXPECT_EQ(list.json()["jobs"][0]["id"], id);

  // The same request again: nothing to copy.
  auto again = submit(jobBody({"robot-behavior:v1", "fleet/nav-stack:v2"}));
  ASSERT_EQ(again.status, 202);
  const auto second = waitFinished(again.json()["id"]);
  EXPECT_EQ(second["state"], "succeeded");
  EXPECT_EQ(second["repos"][0]["state"], "up-to-date");

  auto metrics = http("GET", "/metrics", std::nullopt, {}, false);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("autonomy_syncd_jobs{state=\"succeeded\"} 2"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("autonomy_syncd_repos_total{outcome=\"copied\"} 2"), std::string::npos);
  EXPECT_NE(metrics.body.find("autonomy_syncd_http_request_duration_seconds_bucket"), std::string::npos);
}

// A job may name several tags of one repo and select tags at A when it runs: semver ^1 with
// keep_latest 2 takes the two newest 1.x releases, never the pre-release, 2.0.0 or the cosign
// signature tags beside them; each repo:tag has its own record.
TEST_F(DaemonApi, SelectionsChooseTagsAtTheSourceWhenTheJobRuns) {
  std::map<std::string, std::string> nav;
  for (const auto& [tag, seed] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"v1.0.0", 11}, {"v1.1.0", 12}, {"v1.2.0", 13}, {"v1.3.0-rc.1", 14}, {"v2.0.0", 15}})
    nav[tag] = pushSignedImage("fleet/nav", tag, seed);
  const auto v1 = pushSignedImage("robot-behavior", "v1", 16);
  const auto v2 = pushSignedImage("robot-behavior", "v2", 17);
  writeConfig({});
  startDaemon();

  auto body = jobBody({"robot-behavior:v1", "robot-behavior:v2"});
  body["repos"].push_back({{"repo", "fleet/nav"}, {"semver", "^1"}, {"keep_latest", 2}});
  auto submitted = submit(body);
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const std::string id = submitted.json()["id"];
  EXPECT_EQ(submitted.json()["selections"][0], body["repos"][2]);
  const auto done = waitFinished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2) << daemonLog();
  std::vector<std::string> refs;
  for (const auto& repo : done["repos"]) refs.push_back(repo["ref"]);
  EXPECT_EQ(refs, (std::vector<std::string>{"robot-behavior:v1", "robot-behavior:v2", "fleet/nav:v1.2.0",
                                            "fleet/nav:v1.1.0"}));

  EXPECT_EQ(tagDigestAtB("fleet/nav", "v1.2.0"), nav["v1.2.0"]);
  EXPECT_EQ(tagDigestAtB("fleet/nav", "v1.1.0"), nav["v1.1.0"]);
  for (const char* left : {"v1.0.0", "v1.3.0-rc.1", "v2.0.0"}) EXPECT_EQ(tagDigestAtB("fleet/nav", left), "") << left;
  EXPECT_EQ(tagDigestAtB("robot-behavior", "v1"), v1);
  EXPECT_EQ(tagDigestAtB("robot-behavior", "v2"), v2);
  expectConsistentAtB("fleet/nav");

  const auto dir = stateDir() / "jobs" / id;
  for (const char* record : {"robot-behavior/seed@v1.json", "robot-behavior/seed@v2.json", "fleet/nav/seed@v1.2.0.json",
                             "fleet/nav/seed@v1.1.0.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / record)) << record;
  auto catalog = get("/v1/jobs/" + id + "/catalog");
  ASSERT_EQ(catalog.status, 200) << catalog.describe();
  EXPECT_EQ(catalog.json()["repos"].size(), 4u);

  // After a restart the job is what it was: the selection is not made again.
  ASSERT_EQ(stopDaemon(), 0);
  startDaemon();
  EXPECT_EQ(get("/v1/jobs/" + id).json()["repos"].size(), 4u);
}

TEST_F(DaemonApi, AnUnsignedImageFailsVerificationAndNothingReachesB) {
  pushUnsignedImage("unsigned", "v1", 7);
  pushSignedImage("signed", "v1", 8);
  writeConfig({});
  startDaemon();
  auto body = jobBody({"unsigned:v1", "signed:v1"});
  body["keep_going"] = true;
  auto r = submit(body);
  ASSERT_EQ(r.status, 202) << r.describe();
  const auto done = waitFinished(r.json()["id"]);
  EXPECT_EQ(done["state"], "partial");
  EXPECT_EQ(done["repos"][0]["state"], "failed");
  EXPECT_EQ(done["repos"][0]["error"]["code"], "verification");
  EXPECT_EQ(done["repos"][1]["state"], "copied");
  EXPECT_TRUE(b().tags("unsigned").empty());
  auto metrics = http("GET", "/metrics", std::nullopt, {}, false);
  EXPECT_NE(metrics.body.find("autonomy_syncd_verification_failures_total 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("autonomy_syncd_repo_failures_total{class=\"verification\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("autonomy_syncd_registry_bytes_copied_total{registry=\"" + b().host() + "\"} "),
            std::string::npos)
      << metrics.body;
}

TEST_F(DaemonApi, RefusesWhatItShould) {
  writeConfig({});
  startDaemon();
  EXPECT_EQ(http("GET", "/healthz", std::nullopt, {}, false).status, 200);

  auto anonymous = http("GET", "/v1/jobs", std::nullopt, {}, false);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.json()["error"]["code"], "unauthorized");
  EXPECT_EQ(http("POST", "/v1/jobs", jobBody({"a:v1"}).dump(), {}, false).status, 401);
  EXPECT_EQ(http("GET", "/v1/jobs", std::nullopt, {"Authorization: Bearer not-the-token-at-all"}, false).status, 401);

  struct Bad {
    const char* field;
    json body;
  };
  std::vector<Bad> bad;
  auto with = [&](const char* field, json value) {
    auto b = jobBody({"robot:v1"});
    b[field] = std::move(value);
    return b;
  };
  auto without = [&](const char* field) {
    auto b = jobBody({"robot:v1"});
    b.erase(field);
    return b;
  };
  bad.push_back({"from_registry", without("from_registry")});
  bad.push_back({"from_registry", with("from_registry", "not a host")});
  bad.push_back({"to_registry", with("to_registry", 5000)});
  bad.push_back({"repos", with("repos", json::array())});
  bad.push_back({"repos[0]", with("repos", {"UPPER/case:v1"})});
  bad.push_back({"repos[1]", with("repos", {"robot:v1", "robot:v1"})});
  bad.push_back({"key", without("key")});
  bad.push_back({"key", with("key", "no-such-key")});
  bad.push_back({"key", with("skip_verify", true)});
  bad.push_back({"pub_key_pem", [&] {
                   auto b = without("key");
                   b["pub_key_pem"] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
                   return b;
                 }()});
  bad.push_back({"copy_policy", with("copy_policy", "yes")});
  bad.push_back({"keep_going", with("keep_going", 1)});
  bad.push_back({"out", with("out", "/etc")});
  for (const auto& b : bad) {
    auto r = submit(b.body);
    EXPECT_EQ(r.status, 400) << b.field << ": " << r.describe();
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["field"], b.field) << r.body;
      EXPECT_FALSE(r.json()["error"]["message"].get<std::string>().empty());
    }
  }
  auto notJson = http("POST", "/v1/jobs", std::string("{\"from_registry\":"));
  EXPECT_EQ(notJson.status, 400);

  const std::string huge(2 * 1024 * 1024, ' ');
  auto tooBig = http("POST", "/v1/jobs", huge);
  EXPECT_EQ(tooBig.status, 413) << tooBig.describe();
  EXPECT_EQ(tooBig.json()["error"]["code"], "payload_too_large");

  for (const char* path : {"/v1/jobs/0123456789abcdef", "/v1/jobs/0123456789abcdef/catalog",
                           "/v1/jobs/0123456789abcdef/events", "/v1/jobs/../../etc/passwd"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 404) << path << " " << r.describe();
  }
  EXPECT_EQ(http("POST", "/v1/jobs/0123456789abcdef/cancel").status, 404);
  EXPECT_EQ(http("POST", "/v1/schedules/none/run").status, 404);
  EXPECT_EQ(http("DELETE", "/v1/jobs").status, 405);
  EXPECT_EQ(get("/v1/jobs?state=bogus").status, 400);
  EXPECT_EQ(get("/v1/jobs").json()["jobs"].size(), 0u) << "nothing refused was queued";
}

TEST_F(DaemonApi, IdempotencyKeyReturnsTheSameJob) {
  pushSignedImage("robot", "v1", 3);
  writeConfig({});
  startDaemon();
  auto first = submit(jobBody({"robot:v1"}), {"Idempotency-Key: deploy-42"});
  ASSERT_EQ(first.status, 202);
  auto again = submit(jobBody({"robot:v1"}), {"Idempotency-Key: deploy-42"});
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  auto other = submit(jobBody({"other:v1"}), {"Idempotency-Key: deploy-42"});
  EXPECT_EQ(other.status, 409);
  waitFinished(first.json()["id"]);
}

TEST_F(DaemonApi, CancelStopsARunningJob) {
  // Big enough that the copy is still going when the cancel arrives.
  for (int i = 0; i < 3; ++i)
    pushSignedImage("big-" + std::to_string(i), "v1", 100 + static_cast<unsigned>(i), 96u << 20);
  DaemonSettings oneAtATime;
  oneAtATime.repos = 1;
  writeConfig(oneAtATime);
  startDaemon();
  auto r = submit(jobBody({"big-0:v1", "big-1:v1", "big-2:v1"}));
  ASSERT_EQ(r.status, 202);
  const std::string id = r.json()["id"];
  waitJob(id, [](const json& j) { return j["repos"][0]["state"] == "running"; });
  auto cancel = http("POST", "/v1/jobs/" + id + "/cancel");
  EXPECT_TRUE(cancel.status == 202 || cancel.status == 200) << cancel.describe();
  const auto t0 = std::chrono::steady_clock::now();
  const auto done = waitFinished(id, std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10)) << "cancel is prompt";
  EXPECT_EQ(done["state"], "cancelled") << done.dump(2);
  EXPECT_EQ(done["repos"][2]["state"], "cancelled");
  auto again = http("POST", "/v1/jobs/" + id + "/cancel");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(get("/v1/jobs/" + id + "/catalog").status, 200);
  for (int i = 0; i < 3; ++i) expectConsistentAtB("big-" + std::to_string(i));
}

// A registry's auth_file may name a credential helper: the daemon runs it (once per job and host)
// and logs in with its answer.
TEST_F(DaemonApi, AuthFileCredentialHelperLogsTheDaemonIn) {
  RegistryOptions options;
  options.htpasswdUsers.push_back(RegistryUser{"robot", "helper-pass"});
  RegistryProcess c(options);
  pushSignedImage("fleet/nav", "v1", 81);
  const auto helpers = work() / "helpers";
  std::filesystem::create_directories(helpers);
  std::ofstream(helpers / "docker-credential-fleet")
      << "#!/bin/sh\nread -r host\necho \"$host\" >> " << (helpers / "calls").string()
      << "\necho '{\"Username\":\"robot\",\"Secret\":\"helper-pass\"}'\n";
  std::filesystem::permissions(helpers / "docker-credential-fleet", std::filesystem::perms::owner_all);
  const auto authFile = work() / "auth.json";
  std::ofstream(authFile) << R"({"credHelpers":{")" << c.host() << R"(":"fleet"}})";
  DaemonSettings settings;
  settings.registries = "  \"" + c.host() + "\": {insecure: true, auth_file: " + authFile.string() + "}\n";
  writeConfig(settings);
  const char* path = std::getenv("PATH");
  startDaemon({{"PATH", helpers.string() + ":" + (path ? path : "/usr/bin:/bin")}});

  auto body = jobBody({"fleet/nav:v1"});
  body["to_registry"] = c.host();
  auto submitted = submit(body);
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const auto done = waitFinished(submitted.json()["id"]);
  EXPECT_EQ(done["state"], "succeeded") << done.dump(2);
  EXPECT_TRUE(c.hasTag("fleet/nav", "v1"));
  EXPECT_EQ(readTextFile(helpers / "calls"), c.host() + "\n");
  EXPECT_EQ(daemonLog().find("helper-pass"), std::string::npos);
}

// --healthcheck (the container image's health check) asks the running daemon's /healthz.
TEST_F(DaemonApi, HealthcheckFlagReportsTheRunningDaemon) {
  writeConfig({});
  const std::vector<std::string> probe{std::string(AUTONOMY_BIN_DIR) + "/autonomy-syncd", "--config",
                                       configPath().string(), "--healthcheck"};
  auto down = runCommand(probe);
  EXPECT_EQ(down.exitCode, 1) << down.describe();
  EXPECT_NE(down.stderrText.find("unhealthy"), std::string::npos) << down.describe();
  startDaemon();
  auto up = runCommand(probe);
  EXPECT_EQ(up.exitCode, 0) << up.describe();
}

}  // namespace
}  // namespace autonomy::testing::daemonit

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;

class DaemonMedia : public DaemonIntegration {
 protected:
  std::filesystem::path media() const { return work() / "media"; }
  void startWithMedia() {
    std::filesystem::create_directories(media());
    DaemonSettings s;
    s.topLevel = "media_dirs: [" + media().string() + "]\n";
    writeConfig(s);
    startDaemon();
  }
  // The job body with one end replaced: drop `registryField`, set `field` to `path`.
  json withEnd(const char* registryField, const char* field, const std::filesystem::path& path) const {
    auto body = jobBody({"robot-behavior:v1", "fleet/nav-stack:v2"});
    body.erase(registryField);
    body[field] = path.string();
    return body;
  }
};

// The air-gapped workflow as daemon jobs: A -> archive on the medium, then archive -> B, each
// verified; B ends up with A's digests and signatures.
TEST_F(DaemonMedia, ExportsToAnArchiveAndImportsItIntoB) {
  const auto behavior = pushSignedImage("robot-behavior", "v1", 21);
  const auto nav = pushBundleSignedImage("fleet/nav-stack", "v2", 22);
  startWithMedia();
  const auto archive = media() / "fleet.tar";

  auto out = submit(withEnd("to_registry", "to_archive", archive));
  ASSERT_EQ(out.status, 202) << out.describe();
  EXPECT_EQ(out.json()["to_archive"], archive.string());
  EXPECT_FALSE(out.json().contains("to_registry"));
  const std::string outId = out.json()["id"];
  const auto exported = waitFinished(outId);
  ASSERT_EQ(exported["state"], "succeeded") << exported.dump(2) << daemonLog();
  EXPECT_EQ(exported["repos"][0]["digest"], behavior);
  EXPECT_EQ(exported["repos"][1]["digest"], nav);
  EXPECT_TRUE(std::filesystem::is_regular_file(archive));
  EXPECT_FALSE(std::filesystem::exists(archive.string() + ".partial")) << "renamed into place";
  EXPECT_FALSE(std::filesystem::exists(archive.string() + ".partial.d")) << "staging removed";
  const auto cat = get("/v1/jobs/" + outId + "/catalog").json();
  EXPECT_EQ(cat["to"], "oci-archive:" + archive.string());
  EXPECT_TRUE(b().tags("robot-behavior").empty()) << "the export wrote nothing to B";

  auto in = submit(withEnd("from_registry", "from_archive", archive));
  ASSERT_EQ(in.status, 202) << in.describe();
  const auto imported = waitFinished(in.json()["id"]);
  ASSERT_EQ(imported["state"], "succeeded") << imported.dump(2) << daemonLog();
  EXPECT_EQ(tagDigestAtB("robot-behavior", "v1"), behavior);
  EXPECT_EQ(tagDigestAtB("fleet/nav-stack", "v2"), nav);
  const auto sigTag = "sha256-" + behavior.substr(7) + ".sig";
  EXPECT_TRUE(b().hasTag("robot-behavior", sigTag)) << "the signature came through the archive";
  expectConsistentAtB("robot-behavior");
  expectConsistentAtB("fleet/nav-stack");
  EXPECT_EQ(get("/v1/jobs/" + in.json()["id"].get<std::string>() + "/catalog").json()["from"],
            "oci-archive:" + archive.string());
}

// A caller of the API names only paths under media_dirs (symlinks resolved), and what cannot
// work is said at submit, with the field.
TEST_F(DaemonMedia, PathsOutsideMediaDirsAndImpossibleEndsAreRefusedAtSubmit) {
  startWithMedia();
  const auto elsewhere = work() / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_symlink(elsewhere, media() / "escape");
  std::ofstream(media() / "taken.tar") << "x";
  struct Case {
    json body;
    std::string field;
    std::string needle;
  };
  const std::vector<Case> cases{
      {withEnd("to_registry", "to_layout", elsewhere / "fleet"), "to_layout", "not under"},
      {withEnd("to_registry", "to_layout", media() / "escape" / "fleet"), "to_layout", "not under"},
      {withEnd("to_registry", "to_layout", media()), "to_layout", "not under"},
      {withEnd("to_registry", "to_archive", media() / "taken.tar"), "to_archive", "exists"},
      {withEnd("from_registry", "from_layout", media() / "absent"), "from_layout", "does not exist"},
  };
  for (const auto& c : cases) {
    auto r = submit(c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump() << "\n" << r.describe();
    EXPECT_EQ(r.json()["error"]["field"], c.field) << r.body;
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(c.needle), std::string::npos) << r.body;
  }
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere)) << "nothing written outside media_dirs";
  EXPECT_EQ(get("/v1/jobs").json()["jobs"].size(), 0u);
}

TEST_F(DaemonMedia, WithoutMediaDirsNoJobTouchesAFile) {
  writeConfig({});
  startDaemon();
  auto r = submit(withEnd("to_registry", "to_layout", work() / "fleet"));
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.json()["error"]["field"], "to_layout");
  EXPECT_NE(r.body.find("media_dirs"), std::string::npos) << r.body;
  EXPECT_FALSE(std::filesystem::exists(work() / "fleet"));
}

}  // namespace
}  // namespace autonomy::testing::daemonit
