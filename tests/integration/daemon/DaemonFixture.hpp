#pragma once
// End-to-end fixture for autonomy-syncd: the real daemon binary with a config in a TempDir (its
// own state dir and token file), two real docker-registry processes on 127.0.0.1 (A, the
// source; B, the destination), signed images pushed to A with skopeo, and HTTP through curl,
// as an operator would drive it. What B holds is checked against B itself.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/OciLayout.hpp"
#include "tests/support/process/BackgroundProcess.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/support/signer/CosignSigner.hpp"

namespace autonomy::testing::daemonit {

struct HttpReply {
  int status = 0;  // 0: no HTTP answer
  std::string headers;
  std::string body;
  std::string curlError;

  nlohmann::json json() const;
  std::string header(const std::string& name) const;
  std::string describe() const;
};

// Where an API is and how to reach it: what a second daemon of a test needs too.
struct ApiEndpoint {
  std::string baseUrl;  // http://127.0.0.1:<port>
  std::string token;
  std::filesystem::path home;  // HOME for curl (hermetic)
};
// curl against the API; the token is sent unless withToken is false.
HttpReply callApi(const ApiEndpoint& api, const std::string& method, const std::string& path,
                  const std::optional<std::string>& body = {}, const std::vector<std::string>& headers = {},
                  bool withToken = true);
// Starts autonomy-syncd with `config` and waits for /readyz (false, with the log, if it never is).
bool startSyncd(BackgroundProcess& process, const std::filesystem::path& config, const std::filesystem::path& log,
                const ApiEndpoint& api, const std::map<std::string, std::string>& extraEnv, std::string* why);
std::string randomToken();

struct DaemonSettings {
  std::size_t repos = 4;
  std::string schedules;           // YAML text of the schedules: section; empty: none
  std::filesystem::path rekorKey;  // rekor_keys: {log: <this>} when set
  std::string registries;          // more YAML lines under registries: ("  \"host\": {...}\n")
  std::string registryB;           // more keys of B's entry (", max_bandwidth: 1MiB/s")
  std::string topLevel;            // more top-level YAML lines ("media_dirs: [...]\n")
};

class DaemonIntegration : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  RegistryProcess& a() { return *a_; }
  RegistryProcess& b() { return *b_; }
  const std::filesystem::path& work() const { return work_.path(); }
  std::filesystem::path stateDir() const { return work() / "state"; }
  std::filesystem::path configPath() const { return work() / "syncd.yaml"; }
  const std::string& token() const { return token_; }

  // An image of one layer of `layerBytes` at A/repo:tag, signed by the fleet key; its digest.
  std::string pushSignedImage(const std::string& repo, const std::string& tag, std::uint64_t seed,
                              std::uint64_t layerBytes = 64 * 1024);
  // The same signed as cosign 3 signs by default: a Sigstore bundle referrer in the fallback index.
  std::string pushBundleSignedImage(const std::string& repo, const std::string& tag, std::uint64_t seed);
  // Replaces the .sig of A/repo@digest with one signature by `by` (another key than the fleet's).
  void pushSignatureBy(const std::string& repo, const std::string& digest, const CosignSigner& by);
  // The same without a signature.
  std::string pushUnsignedImage(const std::string& repo, const std::string& tag, std::uint64_t seed);

  void writeConfig(const DaemonSettings& settings);
  // Starts the daemon and waits for /readyz.
  void startDaemon(const std::map<std::string, std::string>& extraEnv = {});
  // SIGKILL, as a crash or power cut would.
  void killDaemon();
  // SIGTERM; the exit status.
  std::optional<int> stopDaemon();
  BackgroundProcess& daemon() { return daemon_; }
  std::string daemonLog() const;
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

  HttpReply http(const std::string& method, const std::string& path, const std::optional<std::string>& body = {},
                 const std::vector<std::string>& headers = {}, bool withToken = true);
  HttpReply get(const std::string& path) { return http("GET", path); }
  HttpReply submit(const nlohmann::json& body, const std::vector<std::string>& headers = {});
  nlohmann::json jobBody(const std::vector<std::string>& repos) const;
  // Polls GET /v1/jobs/{id} until pred(job) or the timeout; the last job seen.
  template <typename Pred>
  nlohmann::json waitJob(const std::string& id, Pred pred, std::chrono::seconds timeout = std::chrono::seconds(120));
  nlohmann::json waitFinished(const std::string& id, std::chrono::seconds timeout = std::chrono::seconds(120));

  // Every tag of `repo` at B resolves, and every blob its manifests (and index children)
  // reference is present at B: B never shows a tag with incomplete content.
  void expectConsistentAtB(const std::string& repo);
  // The digest B's tag names (from B's storage), empty when B has no such tag.
  std::string tagDigestAtB(const std::string& repo, const std::string& tag) const;
  // Access-log lines at B for PUT /v2/<repo>/manifests/<tag>.
  std::size_t manifestPutsAtB(const std::string& repo, const std::string& tag);

  static std::string runCli(const std::vector<std::string>& args, int* exitCode);

 private:
  void checkManifest(const std::string& repo, const std::string& reference, int depth);

  TempDir work_{"daemon-it"};
  std::unique_ptr<RegistryProcess> a_;
  std::unique_ptr<RegistryProcess> b_;
  std::optional<OciLayout> layout_;
  std::unique_ptr<ImageBuilder> builder_;
  CosignSigner signer_{KeyKind::kEcdsaP256};
  std::string token_;
  std::uint16_t port_ = 0;
  BackgroundProcess daemon_;
  int starts_ = 0;
};

bool isFinished(const nlohmann::json& job);

template <typename Pred>
nlohmann::json DaemonIntegration::waitJob(const std::string& id, Pred pred, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = get("/v1/jobs/" + id);
    if (r.status == 200) {
      last = r.json();
      if (pred(last)) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "job " << id << " did not get there in time; last seen:\n" << last.dump(2) << "\n" << daemonLog();
  return last;
}

}  // namespace autonomy::testing::daemonit
