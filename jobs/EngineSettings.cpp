#include "jobs/EngineSettings.hpp"

#include "engine/core/SecretFile.hpp"
#include "engine/registry/Url.hpp"

namespace autonomy::jobs {

namespace fs = std::filesystem;

Result<std::shared_ptr<const EngineSettings>> EngineSettings::create(config::DaemonConfig config,
                                                                     fs::path certsLinkDir) {
  std::shared_ptr<EngineSettings> s(new EngineSettings());
  for (const auto& [name, path] : config.keys) {
    auto key = verify::PublicKey::fromFile(path);
    if (!key) return makeError(ErrorCode::kConfig, "keys." + name + ": " + key.error().message);
    s->keys_.emplace(name, std::make_shared<const verify::PublicKey>(std::move(*key)));
  }
  for (const auto& [name, path] : config.rekorKeys) {
    auto key = verify::PublicKey::fromFile(path, "rekor_keys." + name);
    if (!key) return makeError(ErrorCode::kConfig, key.error().message);
    s->rekorKeys_.push_back(std::move(*key));
  }
  s->config_ = std::move(config);
  s->certsLinkDir_ = std::move(certsLinkDir);
  return std::shared_ptr<const EngineSettings>(std::move(s));
}

std::shared_ptr<const verify::PublicKey> EngineSettings::key(const std::string& name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : it->second;
}

std::shared_ptr<const verify::TrustPolicy> EngineSettings::trustFor(const verify::PublicKey& key) const {
  return std::make_shared<const verify::TrustPolicy>(verify::TrustPolicy{key, rekorKeys_});
}

std::vector<std::string> EngineSettings::keyNames() const {
  std::vector<std::string> out;
  for (const auto& [name, key] : keys_) out.push_back(name);
  return out;
}

std::size_t EngineSettings::connectionLimit(const std::string& host) const {
  return std::max<std::size_t>(1, config_.registryFor(host).maxConnections);
}

void EngineSettings::applyLimits(registry::ConnectionPool& pool) const {
  pool.setDefaultLimit(std::max<std::size_t>(1, config_.concurrency.connectionsPerRegistry));
  // Caps and windows reach transfers already running: their connections pace through these
  // same limiters.
  for (const auto& [host, limiter] : pool.rates()) {
    const auto& r = config_.registryFor(host);
    limiter->setRate(r.maxBandwidth);
    limiter->windows().set(r.windows);
  }
  for (const auto& [host, r] : config_.registries) {
    const auto limiter = pool.rateFor(host);
    limiter->setRate(r.maxBandwidth);
    limiter->windows().set(r.windows);
  }
  for (const auto& [host, r] : config_.registries) {
    for (const char* scheme : {"https", "http"}) {
      registry::Url u;
      u.tls = std::string_view(scheme) == "https";
      auto [name, port] = registry::splitHostPort(host, u.tls ? "443" : "80");
      u.host = name;
      u.port = port;
      pool.setLimit(u.originKey(), std::max<std::size_t>(1, r.maxConnections));
    }
  }
}

// The engine reads certs.d roots (<root>/<host>/ca.crt); the config names the host's own
// directory. When its name is the host, its parent is the root; otherwise a link named after
// the host, under a directory the daemon owns, points at it.
Result<std::vector<fs::path>> EngineSettings::certsRootsFor(const config::RegistryConfig& r) const {
  if (!r.certsDir) return std::vector<fs::path>{};
  if (r.certsDir->filename() == r.host) return std::vector<fs::path>{r.certsDir->parent_path()};
  std::error_code ec;
  fs::create_directories(certsLinkDir_, ec);
  const fs::path link = certsLinkDir_ / r.host;
  if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == *r.certsDir)
    return std::vector<fs::path>{certsLinkDir_};
  fs::remove(link, ec);
  fs::create_directory_symlink(*r.certsDir, link, ec);
  if (ec)
    return makeError(ErrorCode::kIo,
                     "registries." + r.host + ".certs_dir: linking " + link.string() + ": " + ec.message());
  return std::vector<fs::path>{certsLinkDir_};
}

Result<registry::RegistrySettings> EngineSettings::registry(const std::string& host,
                                                            registry::HelperAnswers* answers) const {
  const auto r = config_.registryFor(host);
  registry::RegistrySettings rs;
  rs.host = host;
  rs.insecure = r.insecure;
  rs.maxConnections = std::max<std::size_t>(1, r.maxConnections);
  auto roots = certsRootsFor(r);
  if (!roots) return roots.error();
  rs.certsRoots = std::move(*roots);
  if (r.username && r.passwordFile) {
    auto password = readSecretFile(*r.passwordFile, "registries." + host + ".password_file");
    if (!password) return password.error();
    rs.credentials = registry::Credentials{*r.username, std::move(*password), {}};
    return rs;
  }
  auto creds = registry::findCredentials(r.authFile, host, answers);
  if (!creds) return creds.error().context("registries." + host + ".auth_file");
  rs.credentials = *creds;
  return rs;
}

}  // namespace autonomy::jobs
