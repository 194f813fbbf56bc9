#include "tests/integration/daemon/DaemonFixture.hpp"

#include "engine/verify/SigstoreBundle.hpp"
#include "tests/support/process/TextFiles.hpp"
#include "tests/support/signer/BundleSigner.hpp"

#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "engine/oci/MediaTypes.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/process/Ports.hpp"

namespace autonomy::testing::daemonit {

namespace {

std::random_device rd;
static constexpr char kHex[] = "0123456789abcdef";
std::string t;

// A hermetic environment: no credentials, proxies or journal of the machine running the tests.
RunOptions hermetic(const std::filesystem::path& home) {
  RunOptions o;
  o.env["HOME"] = home.string();
  o.unsetEnv = {"REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "WATCHDOG_USEC",      "http_proxy",    "https_proxy",     "HTTP_PROXY",     "HTTPS_PROXY",
                "ALL_PROXY",          "all_proxy",     "no_proxy",        "NO_PROXY"};
  return o;
}

}  // namespace

std::string randomToken() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t;
  for (int i = 0; i < 48; ++i) t.push_back(kHex[rd() % 16]);
  return t;
}

nlohmann::json HttpReply::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("not JSON: " + describe());
  return j;
}

std::string HttpReply::header(const std::string& name) const {
  std::istringstream in(headers);
  std::string wanted = name + ":";
  for (auto& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string line; std::getline(in, line);) {
    std::string lower = line;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind(wanted, 0) != 0) continue;
    auto v = line.substr(wanted.size());
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    return v;
  }
  return {};
}

std::string HttpReply::describe() const {
  return "HTTP " + std::to_string(status) + "\n" + headers + "\n" + body.substr(0, 2000) + curlError;
}

bool isFinished(const nlohmann::json& job) {
  const auto s = job.value("state", "");
  return s == "succeeded" || s == "partial" || s == "failed" || s == "cancelled";
}

void DaemonIntegration::SetUp() {
  a_ = std::make_unique<RegistryProcess>();
  b_ = std::make_unique<RegistryProcess>();
  auto layout = OciLayout::open(work() / "layout");
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  layout_.emplace(std::move(*layout));
  builder_ = std::make_unique<ImageBuilder>(*layout_);
  std::filesystem::create_directories(work() / "home");
  std::filesystem::create_directories(work() / "keys");
  std::ofstream(work() / "keys" / "fleet.pub") << signer_.publicPem();
  token_ = randomToken();
  std::ofstream(work() / "syncd.token") << token_ << "\n";
}

void DaemonIntegration::TearDown() {
  if (daemon_.running()) {
    auto status = daemon_.stop(std::chrono::seconds(30));
    EXPECT_EQ(status, 0) << "the daemon should stop cleanly on SIGTERM\n" << daemonLog();
  }
  if (HasFailure()) std::cerr << "--- daemon log ---\n" << daemonLog() << "\n";
}

std::string DaemonIntegration::pushUnsignedImage(const std::string& repo, const std::string& tag, std::uint64_t seed) {
  ImageSpec spec({LayerSpec(64 * 1024, seed)});
  spec.labels["test.seed"] = std::to_string(seed);
  auto image = builder_->image(spec);
  if (!image) throw std::runtime_error("build image: " + image.error().message);
  if (auto st = pushImage(*layout_, *image, a().host(), repo, tag); !st)
    throw std::runtime_error("push " + repo + ": " + st.error().message);
  return image->digest.str();
}

std::string DaemonIntegration::pushSignedImage(const std::string& repo, const std::string& tag, std::uint64_t seed,
                                               std::uint64_t layerBytes) {
  ImageSpec spec({LayerSpec(layerBytes, seed)});
  spec.labels["test.seed"] = std::to_string(seed);
  auto image = builder_->image(spec);
  if (!image) throw std::runtime_error("build image: " + image.error().message);
  if (auto st = pushImage(*layout_, *image, a().host(), repo, tag); !st)
    throw std::runtime_error("push " + repo + ": " + st.error().message);
  pushSignatureBy(repo, image->digest.str(), signer_);
  return image->digest.str();
}

void DaemonIntegration::pushSignatureBy(const std::string& repo, const std::string& digestText,
                                        const CosignSigner& by) {
  const auto digest = oci::Digest::parse(digestText);
  if (!digest) throw std::runtime_error("not a digest: " + digestText);
  const auto signature = buildSignatureManifest(*digest, {by.signImage(*digest, a().host() + "/" + repo)});
  std::vector<std::string> blobs;
  for (const auto& [d, bytes] : signature.blobs) blobs.push_back(bytes);
  auto sig = builder_->raw(RawManifest(signature.manifest, std::string(oci::media::kOciManifest), blobs));
  if (!sig) throw std::runtime_error("build signature: " + sig.error().message);
  if (auto st = pushImage(*layout_, *sig, a().host(), repo, signature.tag); !st)
    throw std::runtime_error("push signature of " + repo + ": " + st.error().message);
}

std::string DaemonIntegration::pushBundleSignedImage(const std::string& repo, const std::string& tag,
                                                     std::uint64_t seed) {
  auto image = builder_->image(ImageSpec({LayerSpec(64 * 1024, seed)}));
  if (!image) throw std::runtime_error("build image: " + image.error().message);
  if (auto st = pushImage(*layout_, *image, a().host(), repo, tag); !st)
    throw std::runtime_error("push " + repo + ": " + st.error().message);
  ArtifactSpec spec;
  spec.artifactType = std::string(verify::kBundleMediaTypeV03);
  spec.layers.emplace_back(std::string(verify::kBundleMediaTypeV03),
                           dsseBundle(signer_, cosignStatement(image->digest)));
  spec.subject = image->descriptor();
  auto referrer = builder_->artifact(spec);
  if (!referrer) throw std::runtime_error("build bundle referrer: " + referrer.error().message);
  auto index = builder_->referrersIndex({*referrer});
  if (!index) throw std::runtime_error("build referrers index: " + index.error().message);
  if (auto st = pushImage(*layout_, *index, a().host(), repo, image->digest.attachmentTag()); !st)
    throw std::runtime_error("push bundle of " + repo + ": " + st.error().message);
  return image->digest.str();
}

void DaemonIntegration::writeConfig(const DaemonSettings& s) {
  if (port_ == 0) port_ = freePort();
  std::ofstream out(configPath());
  out << "listen: [\"127.0.0.1:" << port_ << "\"]\n"
      << "state_dir: " << stateDir().string() << "\n"
      << "api:\n  token_file: " << (work() / "syncd.token").string() << "\n"
      << "concurrency: {repos: " << s.repos << ", connections_per_registry: 8}\n"
      << "registries:\n"
      << "  \"" << a().host() << "\": {insecure: true}\n"
      << "  \"" << b().host() << "\": {insecure: true" << s.registryB << "}\n"
      << s.registries << "keys:\n  fleet: " << (work() / "keys" / "fleet.pub").string() << "\n"
      << (s.rekorKey.empty() ? std::string() : "rekor_keys:\n  log: " + s.rekorKey.string() + "\n")
      << "log: {level: debug}\n"
      << s.topLevel;
  if (s.schedules.empty())
    out << "schedules: []\n";
  else
    out << "schedules:\n" << s.schedules;
}

std::string DaemonIntegration::tagDigestAtB(const std::string& repo, const std::string& tag) const {
  std::ifstream in(b_->storageDir() / "docker/registry/v2/repositories" / repo / "_manifests/tags" / tag /
                   "current/link");
  std::string digest;
  std::getline(in, digest);
  return digest;
}

bool startSyncd(BackgroundProcess& process, const std::filesystem::path& config, const std::filesystem::path& log,
                const ApiEndpoint& api, const std::map<std::string, std::string>& extraEnv, std::string* why) {
  const auto opts = hermetic(api.home);
  std::map<std::string, std::string> env = opts.env;
  for (const auto& [k, v] : extraEnv) env[k] = v;
  for (const auto& name : opts.unsetEnv) ::unsetenv(name.c_str());
  process.start({std::string(AUTONOMY_BIN_DIR) + "/autonomy-syncd", "--config", config.string()}, env, log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process.running()) {
      *why = "autonomy-syncd exited at start:\n" + readTextFile(log);
      return false;
    }
    if (callApi(api, "GET", "/readyz", std::nullopt, {}, false).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "autonomy-syncd not ready:\n" + readTextFile(log);
  return false;
}

void DaemonIntegration::startDaemon(const std::map<std::string, std::string>& extraEnv) {
  const auto log = work() / ("daemon-" + std::to_string(++starts_) + ".log");
  std::string why;
  if (!startSyncd(daemon_, configPath(), log, ApiEndpoint{baseUrl(), token_, work() / "home"}, extraEnv, &why))
    FAIL() << why;
}

void DaemonIntegration::killDaemon() {
  daemon_.sendSignal(SIGKILL);
  daemon_.waitFor(std::chrono::seconds(10));
}

std::optional<int> DaemonIntegration::stopDaemon() { return daemon_.stop(std::chrono::seconds(30)); }

std::string DaemonIntegration::daemonLog() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) {
    all += "--- start " + std::to_string(i) + " ---\n";
    all += readTextFile(work() / ("daemon-" + std::to_string(i) + ".log"));
  }
  return all;
}

HttpReply DaemonIntegration::http(const std::string& method, const std::string& path,
                                  const std::optional<std::string>& body, const std::vector<std::string>& headers,
                                  bool withToken) {
  return callApi(ApiEndpoint{baseUrl(), token_, work() / "home"}, method, path, body, headers, withToken);
}

HttpReply callApi(const ApiEndpoint& api, const std::string& method, const std::string& path,
                  const std::optional<std::string>& body, const std::vector<std::string>& headers, bool withToken) {
  std::vector<std::string> argv{"curl", "-sS", "--max-time",  "30", "-X",
                                method, "-D",  "/dev/stderr", "-w", "\n%{http_code}"};
  if (withToken) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + api.token);
  }
  for (const auto& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  RunOptions opts = hermetic(api.home);
  if (body) {
    argv.push_back("-H");
    argv.push_back("Content-Type: application/json");
    argv.push_back("--data-binary");
    argv.push_back("@-");
    opts.stdinText = *body;
  }
  argv.push_back(api.baseUrl + path);
  opts.timeout = std::chrono::seconds(40);
  auto r = runCommand(argv, opts);
  HttpReply reply;
  const auto nl = r.stdoutText.rfind('\n');
  reply.status = nl == std::string::npos ? 0 : std::atoi(r.stdoutText.c_str() + nl + 1);
  reply.body = nl == std::string::npos ? r.stdoutText : r.stdoutText.substr(0, nl);
  // Headers (the last response's) and any curl error arrive on stderr.
  const auto last = r.stderrText.rfind("HTTP/1.1 ");
  reply.headers = last == std::string::npos ? r.stderrText : r.stderrText.substr(last);
  if (!r.ok()) reply.curlError = "\ncurl: " + r.describe();
  return reply;
}

HttpReply DaemonIntegration::submit(const nlohmann::json& body, const std::vector<std::string>& headers) {
  return http("POST", "/v1/jobs", body.dump(), headers);
}

nlohmann::json DaemonIntegration::jobBody(const std::vector<std::string>& repos) const {
  return {{"from_registry", a_->host()}, {"to_registry", b_->host()}, {"repos", repos}, {"key", "fleet"}};
}

nlohmann::json DaemonIntegration::waitFinished(const std::string& id, std::chrono::seconds timeout) {
  return waitJob(id, isFinished, timeout);
}

void DaemonIntegration::checkManifest(const std::string& repo, const std::string& reference, int depth) {
  const std::string accept =
      "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
      "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
  auto r = runCommand({"curl", "-sS", "--max-time", "20", "-H", accept, "-w", "\n%{http_code}",
                       "http://" + b().host() + "/v2/" + repo + "/manifests/" + reference});
  const auto nl = r.stdoutText.rfind('\n');
  ASSERT_NE(nl, std::string::npos) << r.describe();
  ASSERT_EQ(r.stdoutText.substr(nl + 1), "200") << repo << ":" << reference << " does not resolve at B";
  auto m = nlohmann::json::parse(r.stdoutText.substr(0, nl), nullptr, false);
  ASSERT_TRUE(m.is_object()) << repo << ":" << reference;
  std::vector<std::string> blobs;
  if (m.contains("config")) blobs.push_back(m["config"]["digest"]);
  for (const auto& l : m.value("layers", nlohmann::json::array())) blobs.push_back(l["digest"]);
  for (const auto& d : blobs) {
    auto head = runCommand({"curl", "-sS", "--max-time", "20", "-I", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://" + b().host() + "/v2/" + repo + "/blobs/" + d});
    EXPECT_EQ(head.stdoutText, "200") << repo << ":" << reference << " references " << d << ", absent at B";
  }
  if (depth < 2)
    for (const auto& child : m.value("manifests", nlohmann::json::array()))
      checkManifest(repo, child["digest"].get<std::string>(), depth + 1);
}

void DaemonIntegration::expectConsistentAtB(const std::string& repo) {
  for (const auto& tag : b().tags(repo)) checkManifest(repo, tag, 0);
}

std::size_t DaemonIntegration::manifestPutsAtB(const std::string& repo, const std::string& tag) {
  std::istringstream log(b().logText());
  const std::string needle = "\"PUT /v2/" + repo + "/manifests/" + tag + " ";
  std::size_t n = 0;
  for (std::string line; std::getline(log, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

std::string DaemonIntegration::runCli(const std::vector<std::string>& args, int* exitCode) {
  std::vector<std::string> argv{std::string(AUTONOMY_BIN_DIR) + "/autonomy-syncd"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = runCommand(argv);
  *exitCode = r.exitCode;
  return r.stdoutText + r.stderrText;
}

}  // namespace autonomy::testing::daemonit
