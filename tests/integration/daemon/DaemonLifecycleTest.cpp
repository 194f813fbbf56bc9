// The daemon as a service: crash and resume, graceful stop, schedules, reload, --check-config,
// and the systemd unit.
#include <csignal>
#include <fstream>

#include "tests/integration/daemon/DaemonFixture.hpp"
#include "tests/support/process/TextFiles.hpp"

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;

class DaemonLifecycle : public DaemonIntegration {
 protected:
  DaemonSettings oneRepoAtATime() {
    DaemonSettings s;
    s.repos = 1;
    return s;
  }
};

TEST_F(DaemonLifecycle, KillNineMidJobThenRestartFinishesWithoutRedoingDoneRepos) {
  const std::vector<std::string> repos{"fleet/r0", "fleet/r1", "fleet/r2", "fleet/r3"};
  for (std::size_t i = 0; i < repos.size(); ++i) pushSignedImage(repos[i], "v1", 200 + i, 40u << 20);
  writeConfig(oneRepoAtATime());
  startDaemon();
  auto r = submit(jobBody({"fleet/r0:v1", "fleet/r1:v1", "fleet/r2:v1", "fleet/r3:v1"}));
  ASSERT_EQ(r.status, 202) << r.describe();
  const std::string id = r.json()["id"];
  // Kill once the first repo is done and the second is copying.
  const auto mid = waitJob(
      id, [](const json& j) { return j["repos"][0]["state"] == "copied" && j["repos"][1]["state"] == "running"; });
  ASSERT_EQ(mid["repos"][0]["state"], "copied");
  const auto firstSeed = readTextFile(stateDir() / "jobs" / id / "fleet" / "r0" / "seed.json");
  killDaemon();
  EXPECT_EQ(daemon().exitStatus(), -SIGKILL);
  // Whatever B shows right after the crash is complete.
  for (const auto& repo : repos) expectConsistentAtB(repo);

  startDaemon();
  const auto done = waitFinished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2);
  for (const auto& repo : done["repos"]) EXPECT_TRUE(repo["state"] == "copied" || repo["state"] == "up-to-date");
  EXPECT_EQ(done["repos"][0]["state"], "copied");
  EXPECT_EQ(readTextFile(stateDir() / "jobs" / id / "fleet" / "r0" / "seed.json"), firstSeed) << "r0 was not redone";
  EXPECT_EQ(manifestPutsAtB("fleet/r0", "v1"), 1u) << "r0's tag was pushed once";
  for (const auto& repo : repos) {
    EXPECT_TRUE(b().hasTag(repo, "v1")) << repo;
    expectConsistentAtB(repo);
  }
  auto cat = get("/v1/jobs/" + id + "/catalog");
  ASSERT_EQ(cat.status, 200);
  EXPECT_EQ(cat.json()["result"], "ok");
  EXPECT_EQ(cat.json()["repos"].size(), 4u);
  auto metrics = http("GET", "/metrics", std::nullopt, {}, false);
  EXPECT_NE(metrics.body.find("autonomy_syncd_jobs_resumed_total 1"), std::string::npos) << metrics.body;
}

TEST_F(DaemonLifecycle, AnUploadInFlightAtACrashContinuesFromWhatBCommitted) {
  // One 80 MiB layer: PATCHes of 32, 32 and 16 MiB. The failpoint kills the daemon (as kill -9
  // would) right after the first chunk commits, with the session's URL in the job database.
  constexpr std::uint64_t kLayer = 80u << 20;
  pushSignedImage("fleet/big", "v1", 300, kLayer);
  writeConfig(oneRepoAtATime());
  startDaemon({{"AUTONOMY_FAILPOINT", "exit-mid-blob"}});
  auto r = submit(jobBody({"fleet/big:v1"}));
  ASSERT_EQ(r.status, 202) << r.describe();
  const std::string id = r.json()["id"];
  const auto crashed = daemon().waitFor(std::chrono::seconds(60));
  ASSERT_TRUE(crashed.has_value()) << "the failpoint never fired\n" << daemonLog();
  EXPECT_EQ(*crashed, 137);
  EXPECT_FALSE(b().hasTag("fleet/big", "v1"));

  startDaemon();
  const auto done = waitFinished(id);
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2) << daemonLog();
  EXPECT_NE(daemonLog().find("resuming the upload of"), std::string::npos) << daemonLog();
  // The resumed run sent the rest of the layer, not all of it again.
  const auto sent = done["repos"][0]["bytes"].get<std::uint64_t>();
  EXPECT_LT(sent, kLayer - (16u << 20)) << "the layer was sent again from the start";
  EXPECT_GT(sent, kLayer / 2);
  expectConsistentAtB("fleet/big");
  const auto uploads = b().storageDir() / "docker" / "registry" / "v2" / "repositories" / "fleet" / "big" / "_uploads";
  std::size_t left = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(uploads, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++left;
  EXPECT_EQ(left, 0u) << "upload sessions left at B";
}

TEST_F(DaemonLifecycle, SigtermStopsCleanlyAndTheJobResumesAtTheNextStart) {
  for (int i = 0; i < 3; ++i)
    pushSignedImage("slow-" + std::to_string(i), "v1", 300 + static_cast<unsigned>(i), 40u << 20);
  writeConfig(oneRepoAtATime());
  startDaemon();
  auto r = submit(jobBody({"slow-0:v1", "slow-1:v1", "slow-2:v1"}));
  ASSERT_EQ(r.status, 202);
  const std::string id = r.json()["id"];
  waitJob(id, [](const json& j) { return j["repos"][0]["state"] == "running"; });
  EXPECT_EQ(stopDaemon(), 0) << daemonLog();
  startDaemon();
  const auto done = waitFinished(id);
  EXPECT_EQ(done["state"], "succeeded") << done.dump(2);
  for (int i = 0; i < 3; ++i) expectConsistentAtB("slow-" + std::to_string(i));
}

TEST_F(DaemonLifecycle, AScheduleFiresAndCanBeRunOnDemand) {
  pushSignedImage("robot-behavior", "v1", 11);
  DaemonSettings s;
  s.schedules = "  - name: reseed-b\n    every: 1h\n    from: \"" + a().host() + "\"\n    to: \"" + b().host() +
                "\"\n    repos: [robot-behavior:v1]\n    key: fleet\n";
  writeConfig(s);
  startDaemon();
  // Never ran before: due at once.
  json job;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto jobs = get("/v1/jobs").json()["jobs"];
    if (!jobs.empty()) {
      job = jobs[0];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(job.is_null()) << "the schedule did not fire\n" << daemonLog();
  EXPECT_EQ(job["schedule"], "reseed-b");
  EXPECT_EQ(waitFinished(job["id"])["state"], "succeeded");
  EXPECT_TRUE(b().hasTag("robot-behavior", "v1"));

  auto schedules = get("/v1/schedules").json()["schedules"];
  ASSERT_EQ(schedules.size(), 1u);
  EXPECT_EQ(schedules[0]["name"], "reseed-b");
  EXPECT_FALSE(schedules[0]["last_run"].is_null());
  EXPECT_EQ(schedules[0]["last_job"], job["id"]);

  auto run = http("POST", "/v1/schedules/reseed-b/run");
  ASSERT_EQ(run.status, 202) << run.describe();
  EXPECT_EQ(waitFinished(run.json()["id"])["repos"][0]["state"], "up-to-date");

  // A restart does not repeat the run: the last one is remembered.
  EXPECT_EQ(stopDaemon(), 0);
  startDaemon();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(get("/v1/jobs").json()["jobs"].size(), 2u);
}

TEST_F(DaemonLifecycle, SighupReloadsSchedulesAndABadReloadKeepsTheOldConfig) {
  writeConfig({});
  startDaemon();
  EXPECT_EQ(get("/v1/schedules").json()["schedules"].size(), 0u);
  DaemonSettings s;
  s.schedules = "  - name: nightly\n    cron: \"0 3 * * *\"\n    from: \"" + a().host() + "\"\n    to: \"" +
                b().host() + "\"\n    repos: [robot-behavior:v1]\n    key: fleet\n";
  writeConfig(s);
  daemon().sendSignal(SIGHUP);
  json schedules;
  for (int i = 0; i < 50 && schedules.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    schedules = get("/v1/schedules").json()["schedules"];
  }
  ASSERT_EQ(schedules.size(), 1u) << daemonLog();
  EXPECT_EQ(schedules[0]["trigger"], "cron 0 3 * * *");

  std::ofstream(configPath(), std::ios::app) << "surprise: true\n";
  daemon().sendSignal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(daemon().running());
  EXPECT_EQ(get("/v1/schedules").json()["schedules"].size(), 1u);
  EXPECT_NE(daemonLog().find("reload failed; keeping the running configuration"), std::string::npos);
  EXPECT_NE(daemonLog().find("surprise"), std::string::npos) << "the log says why";
}

// max_bandwidth paces every transfer to B; a SIGHUP that lifts the cap reaches the transfer
// already running (it does not wait for the next job).
TEST_F(DaemonLifecycle, MaxBandwidthCapsTransfersAndAReloadReachesTheRunningOne) {
  constexpr std::uint64_t kLayer = 6 * 1024 * 1024;
  pushSignedImage("capped/app", "v1", 41, kLayer);
  DaemonSettings capped;
  capped.registryB = ", max_bandwidth: 512KiB/s";
  writeConfig(capped);
  startDaemon();
  const auto start = std::chrono::steady_clock::now();
  auto submitted = submit(jobBody({"capped/app:v1"}));
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const std::string id = submitted.json()["id"];
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto during = get("/v1/jobs/" + id).json();
  EXPECT_EQ(during["state"], "running") << "6 MiB at 512 KiB/s takes 12 s; " << during.dump(2);
  EXPECT_LT(during["bytes"].get<std::uint64_t>(), kLayer / 2) << during.dump(2);
  auto metrics = http("GET", "/metrics", std::nullopt, {}, false);
  EXPECT_NE(metrics.body.find("autonomy_syncd_registry_max_bandwidth_bytes{registry=\"" + b().host() + "\"} 524288"),
            std::string::npos)
      << metrics.body;

  writeConfig({});  // no cap
  daemon().sendSignal(SIGHUP);
  const auto done = waitFinished(id);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(done["state"], "succeeded") << done.dump(2) << daemonLog();
  EXPECT_LT(took, std::chrono::seconds(9)) << "the running transfer kept the old cap (12 s at 512 KiB/s)";
  metrics = http("GET", "/metrics", std::nullopt, {}, false);
  EXPECT_NE(metrics.body.find("autonomy_syncd_registry_max_bandwidth_bytes{registry=\"" + b().host() + "\"} 0"),
            std::string::npos)
      << metrics.body;
}

TEST_F(DaemonLifecycle, CheckConfigValidatesAndNamesTheProblem) {
  writeConfig({});
  int code = -1;
  auto out = runCli({"--config", configPath().string(), "--check-config"}, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("OK"), std::string::npos);
  out = runCli({"--version"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("autonomy-syncd ", 0), 0u) << out;

  std::ofstream(configPath(), std::ios::app) << "concurrency_typo: 3\n";
  out = runCli({"--config", configPath().string(), "--check-config"}, &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("concurrency_typo"), std::string::npos) << out;
  EXPECT_NE(out.find(configPath().string() + ":"), std::string::npos) << "names the file and line: " << out;

  // No token file: the API would be open, so the daemon refuses to start.
  std::ofstream(configPath()) << "listen: [\"127.0.0.1:0\"]\nstate_dir: " << stateDir().string() << "\n";
  out = runCli({"--config", configPath().string(), "--check-config"}, &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("api.token_file"), std::string::npos) << out;
}

TEST_F(DaemonLifecycle, TheSystemdUnitVerifies) {
  if (runCommand({"sh", "-c", "command -v systemd-analyze"}).exitCode != 0) GTEST_SKIP() << "no systemd-analyze";
  // verify checks ExecStart= binaries exist: a scratch root holds the unit, the binary and the
  // system's own units.
  const auto root = work() / "root";
  std::filesystem::create_directories(root / "usr" / "sbin");
  std::filesystem::create_directories(root / "etc" / "systemd" / "system");
  std::filesystem::create_directories(root / "usr" / "lib" / "systemd");
  std::filesystem::create_directories(root / "bin");
  std::filesystem::copy_file(std::string(AUTONOMY_BIN_DIR) + "/autonomy-syncd",
                             root / "usr" / "sbin" / "autonomy-syncd");
  std::filesystem::copy_file("/bin/kill", root / "bin" / "kill");
  std::filesystem::copy(std::string(AUTONOMY_SOURCE_DIR) + "/systemd/autonomy-syncd.service",
                        root / "etc" / "systemd" / "system" / "autonomy-syncd.service");
  ASSERT_EQ(runCommand({"cp", "-a", "/usr/lib/systemd/system", (root / "usr" / "lib" / "systemd").string()}).exitCode,
            0);
  auto r = runCommand({"systemd-analyze", "verify", "--root=" + root.string(), "autonomy-syncd.service"});
  EXPECT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.stderrText, "") << "no warnings: " << r.stderrText;
  auto security = runCommand({"systemd-analyze", "security", "--offline=yes", "--root=" + root.string(),
                              "--threshold=30", "autonomy-syncd.service"});  // 0-100: 3.0 as shown
  EXPECT_EQ(security.exitCode, 0) << "exposure above 3.0:\n" << security.stdoutText;
}

}  // namespace
}  // namespace autonomy::testing::daemonit
