// Transfer windows end to end (README, "Metered links"): outside a registry's or a schedule's
// windows blob bytes pause, they do not fail, and a SIGHUP that opens the window lets the
// paused transfer go on from where it stopped; a schedule's run due outside its windows waits
// queued. The windows here are minutes away from now, and a reload opens them.
#include <chrono>
#include <sstream>
#include <thread>

#include "tests/integration/daemon/DaemonFixture.hpp"

namespace autonomy::testing::daemonit {
namespace {

using nlohmann::json;
using namespace std::chrono;

constexpr std::uint64_t kLayer = 6 * 1024 * 1024;  // 12 s at the 512 KiB/s cap below

std::string hhmm(int minuteOfDay) {
  const auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return two(minuteOfDay / 60) + ":" + two(minuteOfDay % 60);
}

// One minute a day, twelve hours from now (UTC): closed for the whole test.
std::string closedWindow() {
  const auto later = system_clock::now() + hours(12);
  const int start = static_cast<int>(floor<minutes>(later - floor<days>(later)).count());
  return hhmm(start) + "-" + hhmm(start + 1);
}

std::uint64_t bytesOf(const json& job) { return job["bytes"].get<std::uint64_t>(); }

// Body bytes a registry's access log says it served for blob GETs of `repo` (cut-off reads
// count what was written before the cut).
std::uint64_t blobBytesServed(const RegistryProcess& registry, const std::string& repo) {
  std::istringstream log(registry.logText());
  const std::string needle = "\"GET /v2/" + repo + "/blobs/";
  std::uint64_t total = 0;
  for (std::string line; std::getline(log, line);) {
    const auto at = line.find(needle);
    if (at == std::string::npos) continue;
    const auto status = line.find("\" ", at);  // `" 200 8390807 "`
    std::istringstream fields(line.substr(status + 2));
    int code = 0;
    std::uint64_t bytes = 0;
    if (fields >> code >> bytes) total += bytes;
  }
  return total;
}

class DaemonWindows : public DaemonIntegration {
 protected:
  std::string metrics() { return http("GET", "/metrics", std::nullopt, {}, false).body; }

  // Polls the metrics until `line` appears (a gauge or counter as rendered).
  bool metricShows(const std::string& prefix, const std::function<bool(double)>& ok) {
    for (int i = 0; i < 50; ++i) {
      const std::string m = metrics();
      if (const auto at = m.find(prefix + " "); at != std::string::npos && ok(std::stod(m.substr(at + prefix.size()))))
        return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    ADD_FAILURE() << prefix << " never showed as expected:\n" << metrics();
    return false;
  }

  // Two samples of the job 3 s apart while paused: nothing moved between them.
  void expectPaused(const std::string& id) {
    std::this_thread::sleep_for(seconds(2));  // a buffer already under way lands
    const auto before = get("/v1/jobs/" + id).json();
    std::this_thread::sleep_for(seconds(3));
    const auto after = get("/v1/jobs/" + id).json();
    EXPECT_EQ(after["state"], "running") << "a pause is not a failure: " << after.dump(2) << daemonLog();
    EXPECT_EQ(bytesOf(after), bytesOf(before)) << "bytes moved while the window was closed";
    EXPECT_LT(bytesOf(after), kLayer) << after.dump(2);
  }

  // The job ends succeeded, B holds the image whole, and no byte went twice.
  void expectCompleted(const std::string& id) {
    const auto done = waitFinished(id);
    ASSERT_EQ(done["state"], "succeeded") << done.dump(2) << daemonLog();
    expectConsistentAtB("metered/app");
    EXPECT_LE(bytesOf(done), kLayer + 64 * 1024) << "resent beyond the chunk under way: " << done.dump(2);
  }
};

TEST_F(DaemonWindows, ARegistryWindowClosingMidBlobPausesAndAReloadThatOpensItResumes) {
  pushSignedImage("metered/app", "v1", 51, kLayer);
  DaemonSettings capped;
  capped.registryB = ", max_bandwidth: 512KiB/s";
  writeConfig(capped);
  startDaemon();
  auto submitted = submit(jobBody({"metered/app:v1"}));
  ASSERT_EQ(submitted.status, 202) << submitted.describe();
  const std::string id = submitted.json()["id"];
  waitJob(id, [](const json& j) { return j["state"] == "running" && bytesOf(j) > 256 * 1024; });

  DaemonSettings closed = capped;
  closed.registryB += ", windows: [\"" + closedWindow() + "\"]";
  writeConfig(closed);
  daemon().sendSignal(SIGHUP);
  metricShows("autonomy_syncd_registry_window_open{registry=\"" + b().host() + "\"}", [](double v) { return v == 0; });
  expectPaused(id);
  metricShows("autonomy_syncd_registry_paused_seconds_total{registry=\"" + b().host() + "\"}",
              [](double v) { return v >= 2; });
  EXPECT_NE(daemonLog().find("registry " + b().host() + ": outside its transfer windows"), std::string::npos)
      << daemonLog();

  writeConfig({});  // no windows, no cap
  daemon().sendSignal(SIGHUP);
  expectCompleted(id);
  EXPECT_NE(daemonLog().find("registry " + b().host() + ": transfers resume after"), std::string::npos);
}

TEST_F(DaemonWindows, AScheduleRunOutsideItsWindowsWaitsQueuedAndPausesWhenTheyClose) {
  pushSignedImage("metered/app", "v1", 52, kLayer);
  const auto schedule = [&](const std::string& windows) {
    DaemonSettings s;
    s.registryB = ", max_bandwidth: 512KiB/s";
    s.schedules = "  - name: metered\n    every: 24h\n    from: \"" + a().host() + "\"\n    to: \"" + b().host() +
                  "\"\n    repos: [metered/app:v1]\n    key: fleet\n" + windows;
    return s;
  };
  const std::string window = closedWindow();
  const std::string closed = "    windows: [\"" + window + "\"]\n";
  writeConfig(schedule(closed));
  startDaemon();
  const auto view = get("/v1/schedules").json()["schedules"][0];
  EXPECT_EQ(view["windows"], json::array({window})) << view.dump(2);
  EXPECT_EQ(view["window_open"], false);

  auto triggered = http("POST", "/v1/schedules/metered/trigger");
  ASSERT_EQ(triggered.status, 202) << triggered.describe();
  const std::string id = triggered.json()["job"]["id"];
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(get("/v1/jobs/" + id).json()["state"], "queued") << "a run due outside its windows waits queued";
  EXPECT_NE(daemonLog().find("job " + id + ": waits queued until a transfer window of schedule metered opens"),
            std::string::npos)
      << daemonLog();

  writeConfig(schedule(""));  // the window opens: the queued run starts
  daemon().sendSignal(SIGHUP);
  waitJob(id, [](const json& j) { return j["state"] == "running" && bytesOf(j) > 256 * 1024; });

  writeConfig(schedule(closed));  // and closes mid-blob: the running job pauses
  daemon().sendSignal(SIGHUP);
  expectPaused(id);
  metricShows("autonomy_syncd_schedule_paused_seconds_total{schedule=\"metered\"}", [](double v) { return v >= 2; });

  DaemonSettings open = schedule("");
  open.registryB.clear();
  writeConfig(open);
  daemon().sendSignal(SIGHUP);
  expectCompleted(id);
  // The pause kept the read from A open: what its socket buffers held was not fetched again.
  const std::uint64_t served = blobBytesServed(a(), "metered/app");
  EXPECT_GE(served, kLayer) << "the access log is read: " << a().logText();
  EXPECT_LE(served, kLayer + 256 * 1024) << a().logText();
}

}  // namespace
}  // namespace autonomy::testing::daemonit
