#pragma once
// What the engine needs from the daemon's configuration, resolved once per (re)load: registry
// settings per host (TLS roots, credentials, connection limits) and the named public keys.
// Immutable once built; a SIGHUP builds a new one and jobs started afterwards use it.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/DaemonConfig.hpp"
#include "engine/registry/ConnectionPool.hpp"
#include "engine/registry/RegistryClient.hpp"
#include "engine/verify/PublicKey.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::jobs {

class EngineSettings {
 public:
  // Loads every named key (a bad key file is a configuration error, reported now rather than
  // when a job needs it). `certsLinkDir` is a directory the daemon owns, used to present a
  // registry's certs_dir to the engine's certs.d lookup when its name is not the host's.
  static Result<std::shared_ptr<const EngineSettings>> create(config::DaemonConfig config,
                                                              std::filesystem::path certsLinkDir);

  const config::DaemonConfig& config() const { return config_; }

  // Settings for one registry host, credentials included (read now, never logged; a credential
  // helper's answer is kept in `answers` for the rest of the job).
  Result<registry::RegistrySettings> registry(const std::string& host,
                                              registry::HelperAnswers* answers = nullptr) const;
  std::size_t connectionLimit(const std::string& host) const;
  // Sets per-origin connection limits on the pool for every configured registry (both schemes),
  // and every host's bandwidth cap (max_bandwidth; none for hosts without one).
  void applyLimits(registry::ConnectionPool& pool) const;

  bool hasKey(const std::string& name) const { return keys_.count(name) > 0; }
  std::shared_ptr<const verify::PublicKey> key(const std::string& name) const;
  std::vector<std::string> keyNames() const;
  // What a job verifying with `key` trusts: that key and every configured Rekor key.
  std::shared_ptr<const verify::TrustPolicy> trustFor(const verify::PublicKey& key) const;

 private:
  EngineSettings() = default;
  Result<std::vector<std::filesystem::path>> certsRootsFor(const config::RegistryConfig& r) const;

  config::DaemonConfig config_;
  std::filesystem::path certsLinkDir_;
  std::map<std::string, std::shared_ptr<const verify::PublicKey>> keys_;
  std::vector<verify::PublicKey> rekorKeys_;
};

}  // namespace autonomy::jobs
