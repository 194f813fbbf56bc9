#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/TextFiles.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/process/Pki.hpp"
#include "tests/support/process/Ports.hpp"
#include "tests/support/process/Subprocess.hpp"

namespace autonomy::testing {

namespace {

constexpr int kPortAttempts = 5;
constexpr std::string_view kV2Root = "docker/registry/v2";

std::string yamlQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string randomHex(std::size_t bytes) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto byte = device();
    out += kHex[(byte >> 4) & 0xf];
    out += kHex[byte & 0xf];
  }
  return out;
}

std::string_view bareHex(std::string_view digest) {
  auto colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

std::vector<std::string> sortedChildren(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) out.push_back(entry.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

RegistryProcess::RegistryProcess(RegistryOptions options)
    : options_(std::move(options)), dir_("registry"), secret_(randomHex(16)) {
  if (!options_.htpasswdUsers.empty() && options_.tokenAuth) {
    throw std::runtime_error("RegistryProcess: choose htpasswd users or token auth, not both");
  }
  std::filesystem::create_directories(storageDir());
  if (!options_.htpasswdUsers.empty()) writeHtpasswd();
  for (int attempt = 1;; ++attempt) {
    port_ = freePort();
    host_ = "127.0.0.1:" + std::to_string(port_);
    try {
      launch();
      return;
    } catch (const std::runtime_error& e) {
      // Another process can grab the port between freePort() and the registry's bind.
      const std::string taken = "address already in use";
      bool portTaken =
          logText().find(taken) != std::string::npos || std::string(e.what()).find(taken) != std::string::npos;
      if (!portTaken || attempt == kPortAttempts) throw;
    }
  }
}

RegistryProcess::~RegistryProcess() { stop(); }

std::string RegistryProcess::url() const { return (tls() ? "https://" : "http://") + host_; }

void RegistryProcess::writeHtpasswd() const {
  std::string content;
  for (const auto& user : options_.htpasswdUsers) {
    RunResult result = runCommand({"htpasswd", "-Bbn", user.name, user.password});
    if (!result.ok()) {
      throw std::runtime_error("RegistryProcess: htpasswd -Bbn " + user.name + ": " + result.describe() +
                               " (install apache2-utils)");
    }
    content += trimTrailing(result.stdoutText) + "\n";
  }
  pki::writeFile(dir_.path() / "htpasswd", content, 0600);
}

void RegistryProcess::writeConfig() const {
  std::ostringstream yaml;
  yaml << "version: 0.1\n"
       << "log:\n  level: " << options_.logLevel << "\n  formatter: text\n"
       << "storage:\n"
       << "  filesystem:\n    rootdirectory: " << yamlQuote(storageDir().string()) << "\n"
       << "  delete:\n    enabled: true\n"
       << "  maintenance:\n    uploadpurging:\n      enabled: false\n"
       << "    readonly:\n      enabled: " << (options_.readOnly ? "true" : "false") << "\n"
       << "http:\n  addr: " << yamlQuote(host_) << "\n  secret: " << yamlQuote(secret_) << "\n";
  if (options_.tls) {
    yaml << "  tls:\n    certificate: " << yamlQuote(options_.tls->certificate.string()) << "\n"
         << "    key: " << yamlQuote(options_.tls->key.string()) << "\n";
    if (!options_.tls->clientCa.empty()) {
      yaml << "    clientcas:\n      - " << yamlQuote(options_.tls->clientCa.string()) << "\n";
    }
  }
  if (!options_.htpasswdUsers.empty()) {
    yaml << "auth:\n  htpasswd:\n    realm: autonomy-test\n    path: " << yamlQuote((dir_.path() / "htpasswd").string())
         << "\n";
  } else if (options_.tokenAuth) {
    const auto& token = *options_.tokenAuth;
    yaml << "auth:\n  token:\n    realm: " << yamlQuote(token.realm) << "\n    service: " << yamlQuote(token.service)
         << "\n    issuer: " << yamlQuote(token.issuer)
         << "\n    rootcertbundle: " << yamlQuote(token.rootCertBundle.string()) << "\n";
  }
  pki::writeFile(configPath(), yaml.str());
}

bool RegistryProcess::probe() const {
  std::vector<std::string> argv{"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"};
  if (tls()) argv.emplace_back("-k");
  argv.push_back(url() + "/v2/");
  RunOptions options;
  options.timeout = std::chrono::seconds(5);
  RunResult result = runCommand(argv, options);
  if (!result.stdoutText.empty() && result.stdoutText != "000") return true;
  // With mutual TLS the probe has no client certificate: a failed handshake (rather than a
  // refused or timed-out connect) already shows the registry is serving.
  bool mutualTls = tls() && !options_.tls->clientCa.empty();
  return mutualTls && result.exitCode != 7 && result.exitCode != 28 && result.exitCode > 0;
}

void RegistryProcess::launch() {
  writeConfig();
  process_.start({"docker-registry", "serve", configPath().string()}, {}, logPath());
  auto deadline = std::chrono::steady_clock::now() + options_.startTimeout;
  while (true) {
    if (auto status = process_.waitFor(std::chrono::milliseconds(0))) {
      throw std::runtime_error("docker-registry on " + host_ + " exited with " + std::to_string(*status) +
                               " during startup; log:\n" + logText());
    }
    if (waitForPort(port_, std::chrono::milliseconds(0)) && probe()) {
      if (processListensOn(process_.pid(), port_)) return;
      // Something else answers on our port (a parallel test took it first): ours cannot bind.
      process_.stop();
      throw std::runtime_error("docker-registry on " + host_ + ": address already in use by another process");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      process_.stop();
      throw std::runtime_error("docker-registry on " + host_ + " did not answer GET /v2/ within " +
                               std::to_string(options_.startTimeout.count()) + " ms; log:\n" + logText());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void RegistryProcess::stop() { process_.stop(); }

void RegistryProcess::restart() {
  stop();
  for (int attempt = 1;; ++attempt) {
    try {
      launch();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == kPortAttempts) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

std::string RegistryProcess::logText() const { return readTextFile(logPath()); }

std::filesystem::path RegistryProcess::blobDataPath(std::string_view digest) const {
  std::string hex(bareHex(digest));
  if (hex.size() < 2) throw std::invalid_argument("blobDataPath: bad digest '" + std::string(digest) + "'");
  return storageDir() / kV2Root / "blobs" / "sha256" / hex.substr(0, 2) / hex / "data";
}

std::filesystem::path RegistryProcess::repoDir(std::string_view repo) const {
  return storageDir() / kV2Root / "repositories" / std::filesystem::path(repo);
}

bool RegistryProcess::hasTag(std::string_view repo, std::string_view tag) const {
  std::error_code ec;
  return std::filesystem::is_regular_file(
      repoDir(repo) / "_manifests" / "tags" / std::filesystem::path(tag) / "current" / "link", ec);
}

std::vector<std::string> RegistryProcess::tags(std::string_view repo) const {
  std::vector<std::string> out;
  for (auto& tag : sortedChildren(repoDir(repo) / "_manifests" / "tags")) {
    if (hasTag(repo, tag)) out.push_back(std::move(tag));
  }
  return out;
}

std::vector<std::string> RegistryProcess::manifestLinks(std::string_view repo) const {
  std::filesystem::path revisions = repoDir(repo) / "_manifests" / "revisions" / "sha256";
  std::vector<std::string> out;
  for (const auto& hex : sortedChildren(revisions)) {
    std::error_code ec;
    std::filesystem::path link = revisions / hex / "link";
    if (std::filesystem::is_regular_file(link, ec)) out.push_back(trimTrailing(readTextFile(link)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace autonomy::testing
