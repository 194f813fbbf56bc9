#pragma once
// Registry credentials from Docker config.json / containers auth.json files.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy::registry {

struct Credentials {
  std::string username;
  std::string password;
  bool empty() const { return username.empty() && password.empty(); }
};

class AuthFile {
 public:
  // Parses {"auths": {"host[:port]": {"auth": base64("user:pass")} | {"username","password"}}}.
  static Result<AuthFile> parse(std::string_view json, const std::string& origin);
  static Result<AuthFile> load(const std::filesystem::path& path);

  // Most specific entry for host (and repo namespace, as containers' auth.json allows).
  std::optional<Credentials> lookup(const std::string& host, const std::string& repo = "") const;

 private:
  std::vector<std::pair<std::string, Credentials>> entries_;  // normalised key → creds
};

// The files consulted, in order, when no --authfile is given: REGISTRY_AUTH_FILE,
// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
std::vector<std::filesystem::path> defaultAuthFilePaths();

// Resolves credentials for a host: explicit file only (missing or broken is an error), else
// the first default file that has an entry. Anonymous when none does.
Result<std::optional<Credentials>> findCredentials(const std::optional<std::filesystem::path>& explicitFile,
                                                   const std::string& host, const std::string& repo = "");

}  // namespace autonomy::registry
