#pragma once
// A real docker-registry (distribution 2.8) on 127.0.0.1 with filesystem storage in a TempDir.
// Tests reach past the HTTP API into the storage tree to assert what was written (tags, manifest
// revisions) and to corrupt blobs.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process/BackgroundProcess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing {

struct RegistryUser {
  std::string name;
  std::string password;
};

struct RegistryTls {
  std::filesystem::path certificate;
  std::filesystem::path key;
  std::filesystem::path clientCa;  // non-empty: clients must present a certificate from this CA
};

// distribution's `auth: token` settings; TokenServer::registryAuth() fills them in.
struct RegistryTokenAuth {
  std::string realm;                     // http://127.0.0.1:<port>/token
  std::string service;                   // must equal the token's aud
  std::string issuer;                    // must equal the token's iss
  std::filesystem::path rootCertBundle;  // PEM of the certificate in the token's x5c
};

struct RegistryOptions {
  std::vector<RegistryUser> htpasswdUsers;  // non-empty: `auth: htpasswd` (bcrypt file via htpasswd -B)
  std::optional<RegistryTls> tls;
  std::optional<RegistryTokenAuth> tokenAuth;  // exclusive with htpasswdUsers
  bool readOnly = false;                       // storage.maintenance.readonly: pushes get 405
  std::string logLevel = "warn";
  std::chrono::milliseconds startTimeout{std::chrono::seconds(30)};
};

class RegistryProcess {
 public:
  // Writes config.yml (and htpasswd) into a fresh TempDir, starts docker-registry and waits until
  // GET /v2/ answers (any status: 401 is the answer with auth). Throws std::runtime_error with
  // the registry's log if it does not come up.
  explicit RegistryProcess(RegistryOptions options = {});
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1:<port>"
  std::uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>" or https://
  bool tls() const { return options_.tls.has_value(); }

  // Filesystem driver root; the registry's data lives under docker/registry/v2.
  std::filesystem::path storageDir() const { return dir_.path() / "storage"; }
  // Data file of a blob; digest as "sha256:<hex>" or bare hex.
  std::filesystem::path blobDataPath(std::string_view digest) const;
  // True if the tag's current link exists on disk.
  bool hasTag(std::string_view repo, std::string_view tag) const;
  // Tags present on disk for repo, sorted.
  std::vector<std::string> tags(std::string_view repo) const;
  // "sha256:<hex>" of every manifest revision linked in repo, sorted.
  std::vector<std::string> manifestLinks(std::string_view repo) const;

  std::filesystem::path configPath() const { return dir_.path() / "config.yml"; }
  std::filesystem::path logPath() const { return dir_.path() / "registry.log"; }
  std::string logText() const;  // registry's stdout+stderr, including the access log

  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  BackgroundProcess& process() { return process_; }

  // SIGTERM then SIGKILL; storage is kept.
  void stop();
  // Starts again on the same port with the same storage (and http.secret, so upload sessions
  // begun before the restart remain valid).
  void restart();

 private:
  void writeConfig() const;
  void writeHtpasswd() const;
  void launch();
  bool probe() const;
  std::filesystem::path repoDir(std::string_view repo) const;

  RegistryOptions options_;
  TempDir dir_;
  std::string secret_;
  std::uint16_t port_ = 0;
  std::string host_;
  BackgroundProcess process_;
};

}  // namespace autonomy::testing
