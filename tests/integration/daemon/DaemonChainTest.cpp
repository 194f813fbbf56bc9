// A chain of daemons wired by notify: (A -> B -> C -> D, one daemon per hop, each pulling from
// the hop above): a trigger at the first hop reaches D through each hop's job-end event, while
// every schedule itself is yearly, so nothing but the triggers can move the image. Also: an
// event for a receiver that is down is retried until it is up.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/oci/Digest.hpp"
#include "tests/integration/daemon/DaemonFixture.hpp"
#include "tests/support/process/Ports.hpp"
#include "tests/support/process/TextFiles.hpp"

namespace autonomy::testing::daemonit {
namespace {

using namespace std::chrono_literals;

// A cron that fires once a year: the chain must not move by its schedules.
constexpr const char* kYearly = "0 0 1 1 *";

std::string tagDigestAt(const RegistryProcess& r, const std::string& repo, const std::string& tag) {
  std::ifstream in(r.storageDir() / "docker/registry/v2/repositories" / repo / "_manifests/tags" / tag /
                   "current/link");
  std::string digest;
  std::getline(in, digest);
  return digest;
}

// One daemon of the chain: its own port, token, state and log; one schedule `<name>` copying
// every tag of app from `from` to `to`, and an optional notify: target.
struct ChainNode {
  std::string name;
  std::filesystem::path dir;
  std::filesystem::path home;
  std::uint16_t port = freePort();
  std::string token = randomToken();
  BackgroundProcess process;

  ApiEndpoint api() const { return {"http://127.0.0.1:" + std::to_string(port), token, home}; }
  std::filesystem::path tokenFile() const { return dir / "api.token"; }
  std::string triggerUrl() const { return api().baseUrl + "/v1/schedules/" + name + "/trigger"; }
  std::string log() const { return readTextFile(dir / "syncd.log"); }

  void configure(const std::string& from, const std::string& to, const std::filesystem::path& key,
                 const ChainNode* next) {
    std::filesystem::create_directories(dir);
    std::ofstream(tokenFile()) << token << "\n";
    std::ofstream out(dir / "syncd.yaml");
    out << "listen: [\"127.0.0.1:" << port << "\"]\n"
        << "state_dir: " << (dir / "state").string() << "\n"
        << "api: {token_file: " << tokenFile().string() << "}\n"
        << "registries:\n  \"" << from << "\": {insecure: true}\n  \"" << to << "\": {insecure: true}\n"
        << "keys: {fleet: " << key.string() << "}\n"
        << "log: {level: debug}\n"
        << "schedules:\n  - name: " << name << "\n    cron: \"" << kYearly << "\"\n    from: \"" << from
        << "\"\n    to: \"" << to << "\"\n    repos: [{repo: app, all: true}]\n    key: fleet\n";
    if (next)
      out << "notify:\n  - url: " << next->triggerUrl() << "\n    token_file: " << next->tokenFile().string()
          << "\n    events: [job-succeeded]\n";
  }
  void start() {
    std::string why;
    ASSERT_TRUE(startSyncd(process, dir / "syncd.yaml", dir / "syncd.log", api(), {}, &why)) << why;
  }
  HttpReply call(const std::string& method, const std::string& path, const std::optional<std::string>& body = {}) {
    return callApi(api(), method, path, body);
  }
  std::string metrics() { return callApi(api(), "GET", "/metrics", std::nullopt, {}, false).body; }
  ~ChainNode() {
    if (process.running()) process.stop(std::chrono::seconds(30));
  }
};

class DaemonChain : public DaemonIntegration {
 protected:
  void SetUp() override {
    DaemonIntegration::SetUp();
    c_ = std::make_unique<RegistryProcess>();
    d_ = std::make_unique<RegistryProcess>();
    const auto key = work() / "keys" / "fleet.pub";
    for (const char* name : {"from-a", "from-b", "from-c"}) {
      auto node = std::make_unique<ChainNode>();
      node->name = name;
      node->dir = work() / name;
      node->home = work() / "home";
      nodes_.push_back(std::move(node));
    }
    nodes_[0]->configure(a().host(), b().host(), key, nodes_[1].get());
    nodes_[1]->configure(b().host(), c_->host(), key, nodes_[2].get());
    nodes_[2]->configure(c_->host(), d_->host(), key, nullptr);
  }
  void TearDown() override {
    if (HasFailure())
      for (const auto& n : nodes_) std::cerr << "--- " << n->name << " log ---\n" << n->log() << "\n";
    nodes_.clear();
    DaemonIntegration::TearDown();
  }

  // What the first hop's upstream would send: a CloudEvent saying a job there succeeded.
  static std::string upstreamEvent() {
    return nlohmann::json{{"specversion", "1.0"},
                          {"id", "upstream-1"},
                          {"source", "//edge-a/autonomy-syncd"},
                          {"type", "dev.autonomy.syncd.job.succeeded"}}
        .dump();
  }

  bool waitForTag(const RegistryProcess& r, const std::string& tag, const std::string& digest,
                  std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (tagDigestAt(r, "app", tag) == digest) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::unique_ptr<RegistryProcess> c_;
  std::unique_ptr<RegistryProcess> d_;
  std::vector<std::unique_ptr<ChainNode>> nodes_;  // the daemons at B, C, D
};

TEST_F(DaemonChain, ATriggerAtTheFirstHopReachesTheLastThroughNotify) {
  const auto v1 = pushSignedImage("app", "v1", 1);
  for (int i = 2; i >= 0; --i) nodes_[i]->start();  // downstream first, as a fleet comes up in any order
  auto r = nodes_[0]->call("POST", "/v1/schedules/from-a/trigger", upstreamEvent());
  ASSERT_EQ(r.status, 202) << r.describe();
  EXPECT_EQ(r.json()["outcome"], "started");
  ASSERT_TRUE(waitForTag(*d_, "v1", v1, 90s)) << "app:v1 never reached D";
  EXPECT_EQ(tagDigestAt(b(), "app", "v1"), v1);
  EXPECT_EQ(tagDigestAt(*c_, "app", "v1"), v1);

  // A second tag follows the same way, and the signature comes with it to the end.
  const auto v2 = pushSignedImage("app", "v2", 2);
  ASSERT_EQ(nodes_[0]->call("POST", "/v1/schedules/from-a/trigger").status, 202);
  ASSERT_TRUE(waitForTag(*d_, "v2", v2, 90s)) << "app:v2 never reached D";
  EXPECT_TRUE(d_->hasTag("app", oci::Digest::parse(v2)->attachmentTag(".sig")));

  // Each hop counted what it sent and received.
  for (int i = 0; i < 2; ++i) {
    const auto m = nodes_[i]->metrics();
    EXPECT_NE(
        m.find("autonomy_syncd_notify_events_total{url=\"" + nodes_[i + 1]->triggerUrl() + "\",result=\"sent\"} 2"),
        std::string::npos)
        << nodes_[i]->name << "\n"
        << m;
  }
  EXPECT_NE(
      nodes_[2]->metrics().find("autonomy_syncd_schedule_triggers_total{schedule=\"from-c\",outcome=\"started\"} 2"),
      std::string::npos);
  auto jobs = nodes_[2]->call("GET", "/v1/jobs").json()["jobs"];
  EXPECT_EQ(jobs.size(), 2u) << "one job per trigger at D, none from the yearly schedule\n" << jobs.dump(2);
}

TEST_F(DaemonChain, AnEventForAReceiverThatIsDownIsRetriedUntilItIsUp) {
  const auto v1 = pushSignedImage("app", "v1", 3);
  nodes_[0]->start();  // C's daemon is not up yet
  ASSERT_EQ(nodes_[0]->call("POST", "/v1/schedules/from-a/trigger").status, 202);
  ASSERT_TRUE(waitForTag(b(), "v1", v1, 60s));
  const std::string failed =
      "autonomy_syncd_notify_events_total{url=\"" + nodes_[1]->triggerUrl() + "\",result=\"failed\"} ";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (nodes_[0]->metrics().find(failed + "0") != std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(nodes_[0]->metrics().find(failed + "0"), std::string::npos) << "a failed attempt is counted";
  nodes_[1]->start();
  ASSERT_TRUE(waitForTag(*c_, "v1", v1, 60s)) << "the retried event never triggered C";
  EXPECT_NE(nodes_[0]->metrics().find("autonomy_syncd_notify_events_total{url=\"" + nodes_[1]->triggerUrl() +
                                      "\",result=\"sent\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace autonomy::testing::daemonit
