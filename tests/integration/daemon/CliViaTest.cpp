// `autonomy registry sync --via` and `autonomy registry jobs`: the CLI driving the real daemon,
// run as an operator would run it, with the same lines, files and exit codes as a local run.
#include <csignal>
#include <fstream>

#include "tests/integration/daemon/DaemonFixture.hpp"
#include "tests/support/process/Ports.hpp"
#include "tests/support/process/TextFiles.hpp"

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;

class CliVia : public DaemonIntegration {
 protected:
  std::string tokenFile() const { return (work() / "syncd.token").string(); }

  RunResult autonomy(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), std::string(AUTONOMY_BIN_DIR) + "/autonomy");
    RunOptions opts;
    opts.env = std::move(env);
    opts.unsetEnv = {"AUTONOMY_SYNCD_URL", "AUTONOMY_SYNCD_TOKEN_FILE"};
    for (const auto& [k, v] : opts.env) std::erase(opts.unsetEnv, k);
    opts.timeout = std::chrono::seconds(180);
    return runCommand(args, opts);
  }

  std::vector<std::string> syncVia(const std::string& repos, const std::filesystem::path& out) {
    return {"registry", "sync",          "--via",    baseUrl(), "--token-file", tokenFile(), "--from-registry",
            a().host(), "--to-registry", b().host(), "--repos", repos,          "--out",     out.string()};
  }

  static json readJson(const std::filesystem::path& p) {
    std::ifstream in(p);
    return json::parse(in, nullptr, false);
  }
};

TEST_F(CliVia, SyncViaTheDaemonPrintsTheSameLinesWritesTheCatalogAndTheJobsCommandsSeeIt) {
  const auto behaviorDigest = pushSignedImage("robot-behavior", "v1", 1);
  pushSignedImage("fleet/nav-stack", "v2", 2);
  writeConfig({});
  startDaemon();

  auto args = syncVia("robot-behavior:v1,fleet/nav-stack:v2", work() / "out");
  args.insert(args.end(), {"--key", "fleet"});
  auto first = autonomy(args);
  ASSERT_EQ(first.exitCode, 0) << first.describe() << daemonLog();
  // The local run's per-repo lines, then the summary naming the daemon's job.
  EXPECT_NE(first.stderrText.find("copied        " + b().host() + "/robot-behavior:v1"), std::string::npos)
      << first.stderrText;
  EXPECT_NE(first.stderrText.find("copied        " + b().host() + "/fleet/nav-stack:v2"), std::string::npos)
      << first.stderrText;
  EXPECT_NE(first.stderrText.find("blobs 4 copied/0 mounted/0 present"), std::string::npos) << first.stderrText;
  EXPECT_NE(first.stderrText.find(": ok (2 repos); catalog: "), std::string::npos) << first.stderrText;
  const auto cat = readJson(work() / "out" / "catalog.json");
  ASSERT_TRUE(cat.is_object());
  EXPECT_EQ(cat["result"], "ok");
  EXPECT_EQ(cat["from"], a().host());
  const auto seed = readJson(work() / "out" / "robot-behavior" / "seed.json");
  ASSERT_TRUE(seed.is_object());
  EXPECT_EQ(seed["digest"], behaviorDigest);
  EXPECT_EQ(seed["status"], "copied");
  EXPECT_TRUE(std::filesystem::exists(work() / "out" / "fleet" / "nav-stack" / "seed.json"));
  EXPECT_TRUE(b().hasTag("robot-behavior", "v1"));
  expectConsistentAtB("fleet/nav-stack");

  // Again from the environment, verifying with a key file the CLI reads and sends as PEM: a no-op.
  const std::map<std::string, std::string> env{{"AUTONOMY_SYNCD_URL", baseUrl()},
                                               {"AUTONOMY_SYNCD_TOKEN_FILE", tokenFile()}};
  auto again = autonomy(
      {"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(), "--repos", "robot-behavior:v1",
       "--pub-key", (work() / "keys" / "fleet.pub").string(), "--out", (work() / "out2").string(), "--detach"},
      env);
  ASSERT_EQ(again.exitCode, 0) << again.describe();
  std::string id = again.stdoutText;
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
  ASSERT_EQ(id.size(), 16u) << again.describe();

  auto watch = autonomy({"registry", "jobs", "watch", id}, env);
  EXPECT_EQ(watch.exitCode, 0) << watch.describe();
  EXPECT_NE(watch.stderrText.find("up-to-date    " + b().host() + "/robot-behavior:v1"), std::string::npos)
      << watch.describe();
  EXPECT_NE(watch.stderrText.find("job " + id + ": succeeded"), std::string::npos) << watch.describe();

  auto list = autonomy({"registry", "jobs", "list"}, env);
  ASSERT_EQ(list.exitCode, 0) << list.describe();
  EXPECT_NE(list.stdoutText.find(id + "  succeeded"), std::string::npos) << list.stdoutText;
  EXPECT_NE(list.stdoutText.find("1/1"), std::string::npos) << list.stdoutText;
  auto listJson = autonomy({"registry", "jobs", "list", "--json", "--state", "succeeded", "--limit", "1"}, env);
  ASSERT_EQ(listJson.exitCode, 0) << listJson.describe();
  const auto page = json::parse(listJson.stdoutText, nullptr, false);
  ASSERT_TRUE(page.is_object()) << listJson.stdoutText;
  ASSERT_EQ(page["jobs"].size(), 1u);
  EXPECT_EQ(page["jobs"][0]["id"], id);
  EXPECT_EQ(page["jobs"][0]["verification"]["mode"], "pub_key_pem");

  auto show = autonomy({"registry", "jobs", "show", id}, env);
  ASSERT_EQ(show.exitCode, 0) << show.describe();
  EXPECT_NE(show.stdoutText.find("up-to-date    robot-behavior:v1  " + behaviorDigest.substr(0, 19)), std::string::npos)
      << show.stdoutText;

  auto catalog = autonomy({"registry", "jobs", "catalog", id, "--out", (work() / "fetched").string()}, env);
  ASSERT_EQ(catalog.exitCode, 0) << catalog.describe();
  EXPECT_EQ(readJson(work() / "fetched" / "catalog.json")["result"], "ok");
  EXPECT_EQ(readJson(work() / "fetched" / "robot-behavior" / "seed.json")["status"], "up-to-date");
  auto catalogOut = autonomy({"registry", "jobs", "catalog", id}, env);
  ASSERT_EQ(catalogOut.exitCode, 0) << catalogOut.describe();
  EXPECT_EQ(json::parse(catalogOut.stdoutText, nullptr, false)["repos"][0]["repo"], "robot-behavior");

  auto cancelDone = autonomy({"registry", "jobs", "cancel", id}, env);
  EXPECT_EQ(cancelDone.exitCode, 2) << cancelDone.describe();
  EXPECT_NE(cancelDone.stderrText.find("already"), std::string::npos) << cancelDone.describe();
  auto unknown = autonomy({"registry", "jobs", "show", "0000000000000000"}, env);
  EXPECT_EQ(unknown.exitCode, 2) << unknown.describe();
}

TEST_F(CliVia, ExitStatusAndErrorsMatchALocalRun) {
  pushSignedImage("signed", "v1", 3);
  pushUnsignedImage("unsigned", "v1", 4);
  writeConfig({});
  startDaemon();

  // One repo fails verification: exit 1, the catalog says partial, the unsigned image is not at B.
  auto args = syncVia("signed:v1,unsigned:v1", work() / "out");
  args.insert(args.end(), {"--key", "fleet", "--keep-going"});
  auto partial = autonomy(args);
  EXPECT_EQ(partial.exitCode, 1) << partial.describe();
  EXPECT_NE(partial.stderrText.find("failed        " + b().host() + "/unsigned:v1"), std::string::npos)
      << partial.stderrText;
  EXPECT_NE(partial.stderrText.find("error: "), std::string::npos) << partial.stderrText;
  EXPECT_EQ(readJson(work() / "out" / "catalog.json")["result"], "partial");
  EXPECT_FALSE(b().hasTag("unsigned", "v1"));
  EXPECT_TRUE(b().hasTag("signed", "v1"));

  auto withKey = [&](std::vector<std::string> a) {
    a.insert(a.end(), {"--key", "fleet"});
    return a;
  };
  // Refused before anything is sent: flags that belong to the daemon's config.
  auto local = withKey(syncVia("signed:v1", work() / "o3"));
  local.insert(local.end(), {"--allow-insecure-registry", "--concurrency", "2"});
  auto refused = autonomy(local);
  EXPECT_EQ(refused.exitCode, 2) << refused.describe();
  EXPECT_NE(refused.stderrText.find("--concurrency, --allow-insecure-registry: not with --via"), std::string::npos)
      << refused.stderrText;

  // The daemon refuses a key it does not know: its 400, with the field, exit 2.
  auto badKey = syncVia("signed:v1", work() / "o4");
  badKey.insert(badKey.end(), {"--key", "nosuch"});
  auto r400 = autonomy(badKey);
  EXPECT_EQ(r400.exitCode, 2) << r400.describe();
  EXPECT_NE(r400.stderrText.find("(field key)"), std::string::npos) << r400.stderrText;

  // A wrong token: 401, exit 2, and the message says which flag fixes it.
  std::ofstream(work() / "wrong.token") << "not-the-token\n";
  auto wrong = withKey(syncVia("signed:v1", work() / "o5"));
  wrong[5] = (work() / "wrong.token").string();
  auto r401 = autonomy(wrong);
  EXPECT_EQ(r401.exitCode, 2) << r401.describe();
  EXPECT_NE(r401.stderrText.find("--token-file"), std::string::npos) << r401.stderrText;

  // No daemon there: exit 1, and the message names the URL.
  auto nowhere = withKey(syncVia("signed:v1", work() / "o6"));
  const std::string deadUrl = "http://127.0.0.1:" + std::to_string(freePort());
  nowhere[3] = deadUrl;
  auto unreachable = autonomy(nowhere);
  EXPECT_EQ(unreachable.exitCode, 1) << unreachable.describe();
  EXPECT_NE(unreachable.stderrText.find("cannot reach autonomy-syncd at " + deadUrl), std::string::npos)
      << unreachable.stderrText;

  // Plain HTTP off loopback would carry the token in clear: refused before any connection
  // (.invalid never resolves), unless asked for.
  auto clear = autonomy({"registry", "jobs", "list", "--via", "http://edge-b.invalid:7480"});
  EXPECT_EQ(clear.exitCode, 2) << clear.describe();
  EXPECT_NE(clear.stderrText.find("--allow-insecure-daemon"), std::string::npos) << clear.describe();
  auto asked = autonomy({"registry", "jobs", "list", "--via", "http://edge-b.invalid:7480", "--allow-insecure-daemon",
                         "--token-file", (work() / "wrong.token").string()});
  EXPECT_EQ(asked.exitCode, 1) << asked.describe();  // allowed, then unreachable
  EXPECT_EQ(asked.stderrText.find("--allow-insecure-daemon"), std::string::npos) << asked.describe();

  // --key without --via is a usage error; so is a job command with no daemon named.
  auto keyLocal = autonomy({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(), "--repos",
                            "signed:v1", "--key", "fleet"});
  EXPECT_EQ(keyLocal.exitCode, 2) << keyLocal.describe();
  auto noDaemon = autonomy({"registry", "jobs", "list"});
  EXPECT_EQ(noDaemon.exitCode, 2) << noDaemon.describe();
  EXPECT_NE(noDaemon.stderrText.find("AUTONOMY_SYNCD_URL"), std::string::npos) << noDaemon.describe();
}

// One engine run behind both front ends: the same sync, locally to one registry and through the
// daemon to another, writes the same seed.json files, field by field (timings and the
// destination's host aside), including a repo that fails verification and the one after it
// that a fail-fast run does not attempt.
TEST_F(CliVia, ALocalRunAndTheSameRunThroughTheDaemonWriteTheSameSeedRecords) {
  pushSignedImage("alpha", "v1", 21);
  pushBundleSignedImage("bundled", "v1", 22);
  pushUnsignedImage("unsigned", "v1", 23);
  pushSignedImage("zeta", "v1", 24);
  RegistryProcess localDest;  // the local run's destination; B is the daemon's
  DaemonSettings settings;
  settings.registries = "  \"" + localDest.host() + "\": {insecure: true}\n";
  writeConfig(settings);
  startDaemon();

  const std::string repos = "alpha:v1,bundled:v1,unsigned:v1,zeta:v1";
  const std::string key = (work() / "keys" / "fleet.pub").string();
  auto local =
      autonomy({"registry", "sync", "--from-registry", a().host(), "--to-registry", localDest.host(), "--repos", repos,
                "--pub-key", key, "--allow-insecure-registry", "--out", (work() / "local").string()});
  EXPECT_EQ(local.exitCode, 1) << local.describe();
  auto viaArgs = syncVia(repos, work() / "via");
  viaArgs.insert(viaArgs.end(), {"--pub-key", key});
  auto via = autonomy(viaArgs);
  EXPECT_EQ(via.exitCode, 1) << via.describe() << daemonLog();

  const std::map<std::string, std::string> expected{
      {"alpha", "copied"}, {"bundled", "copied"}, {"unsigned", "failed"}, {"zeta", "not-attempted"}};
  for (const auto& [repo, status] : expected) {
    auto l = readJson(work() / "local" / repo / "seed.json");
    auto v = readJson(work() / "via" / repo / "seed.json");
    ASSERT_TRUE(l.is_object() && v.is_object()) << repo;
    EXPECT_EQ(l["status"], status) << l.dump(2);
    // Checked with the key even where it was not reached: never "skipped".
    EXPECT_TRUE(v["verification"].is_object()) << v.dump(2);
    for (auto* j : {&l, &v})
      for (const char* timing : {"started_at", "finished_at", "seconds"}) j->erase(timing);
    std::string localText = l.dump(2);
    for (std::size_t at; (at = localText.find(localDest.host())) != std::string::npos;)
      localText.replace(at, localDest.host().size(), b().host());
    EXPECT_EQ(localText, v.dump(2)) << repo;
  }
  EXPECT_FALSE(b().hasTag("zeta", "v1"));
  EXPECT_FALSE(localDest.hasTag("zeta", "v1"));
}

TEST_F(CliVia, SchedulesListAndRunNow) {
  pushSignedImage("robot-behavior", "v1", 21);
  DaemonSettings settings;
  settings.schedules = "  - name: reseed-b\n    every: 1h\n    from: \"" + a().host() + "\"\n    to: \"" + b().host() +
                       "\"\n    repos: [robot-behavior:v1]\n    key: fleet\n";
  writeConfig(settings);
  startDaemon();
  const std::map<std::string, std::string> env{{"AUTONOMY_SYNCD_URL", baseUrl()},
                                               {"AUTONOMY_SYNCD_TOKEN_FILE", tokenFile()}};
  auto list = autonomy({"registry", "schedules", "list"}, env);
  ASSERT_EQ(list.exitCode, 0) << list.describe();
  EXPECT_NE(list.stdoutText.find("reseed-b"), std::string::npos) << list.stdoutText;
  EXPECT_NE(list.stdoutText.find(a().host() + " -> " + b().host()), std::string::npos) << list.stdoutText;

  auto run = autonomy({"registry", "schedules", "run", "reseed-b"}, env);
  ASSERT_EQ(run.exitCode, 0) << run.describe();
  std::string id = run.stdoutText;
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
  ASSERT_EQ(id.size(), 16u) << run.describe();
  auto watch = autonomy({"registry", "jobs", "watch", id}, env);
  EXPECT_EQ(watch.exitCode, 0) << watch.describe();
  auto listJson = autonomy({"registry", "schedules", "list", "--json"}, env);
  ASSERT_EQ(listJson.exitCode, 0) << listJson.describe();
  const auto schedules = json::parse(listJson.stdoutText, nullptr, false);
  ASSERT_TRUE(schedules.is_object()) << listJson.stdoutText;
  EXPECT_EQ(schedules["schedules"][0]["last_job"], id);

  auto unknown = autonomy({"registry", "schedules", "run", "nosuch"}, env);
  EXPECT_EQ(unknown.exitCode, 2) << unknown.describe();
  EXPECT_NE(unknown.stderrText.find("nosuch"), std::string::npos) << unknown.describe();
}

TEST_F(CliVia, CtrlCCancelsTheJobAtTheDaemonAndExits130) {
  for (int i = 0; i < 3; ++i)
    pushSignedImage("big-" + std::to_string(i), "v1", 200 + static_cast<unsigned>(i), 96u << 20);
  DaemonSettings oneAtATime;
  oneAtATime.repos = 1;
  writeConfig(oneAtATime);
  startDaemon();

  auto args = syncVia("big-0:v1,big-1:v1,big-2:v1", work() / "out");
  args.insert(args.begin(), std::string(AUTONOMY_BIN_DIR) + "/autonomy");
  args.insert(args.end(), {"--key", "fleet"});
  BackgroundProcess cli(args, {}, work() / "cli.log");
  std::string id;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (id.empty() && std::chrono::steady_clock::now() < deadline) {
    auto jobs = get("/v1/jobs?state=running");
    if (jobs.status == 200 && !jobs.json()["jobs"].empty()) id = jobs.json()["jobs"][0]["id"];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(id.empty()) << "the CLI's job never ran\n" << daemonLog();
  // Once the CLI says it follows the job (its Ctrl-C handling is armed before it submits).
  const auto followDeadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (readTextFile(work() / "cli.log").find("job " + id + " at") == std::string::npos &&
         std::chrono::steady_clock::now() < followDeadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(cli.sendSignal(SIGINT));
  const auto status = cli.waitFor(std::chrono::seconds(30));
  const std::string log = readTextFile(work() / "cli.log");
  ASSERT_TRUE(status.has_value()) << "the CLI did not stop\n" << log;
  EXPECT_EQ(*status, 130) << log;
  EXPECT_NE(log.find("interrupt: cancelling job " + id), std::string::npos) << log;
  const auto job = waitFinished(id, std::chrono::seconds(30));
  EXPECT_EQ(job["state"], "cancelled") << job.dump(2);
  EXPECT_EQ(readJson(work() / "out" / "catalog.json")["repos"].size(), 3u) << log;
  for (int i = 0; i < 3; ++i) expectConsistentAtB("big-" + std::to_string(i));
}

}  // namespace
}  // namespace autonomy::testing::daemonit
