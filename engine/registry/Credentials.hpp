#pragma once
// Registry credentials from Docker config.json / containers auth.json files: inline entries
// ("auths") and credential helpers ("credHelpers", "credsStore"; see CredentialHelper.hpp).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy::registry {

struct Credentials {
  std::string username;
  std::string password;
  std::string identityToken;  // an OAuth2 refresh token for the registry's token server
  bool empty() const { return username.empty() && password.empty() && identityToken.empty(); }
};

// A map of answers kept for one run, so each helper is asked once per host (CredentialHelper.hpp).
using HelperAnswers = std::map<std::pair<std::string, std::string>, std::optional<Credentials>>;

class AuthFile {
 public:
  // Parses {"auths": {"host[:port]": {"auth": base64("user:pass")} | {"username","password"} |
  // {"identitytoken"}}, "credHelpers": {"host[:port]": "<name>"}, "credsStore": "<name>"}.
  static Result<AuthFile> parse(std::string_view json, const std::string& origin);
  static Result<AuthFile> load(const std::filesystem::path& path);

  // Most specific entry for host (and repo namespace, as containers' auth.json allows).
  std::optional<Credentials> lookup(const std::string& host, const std::string& repo = "") const;
  // The helper that holds host's credentials, as Docker picks it: credHelpers[host], else
  // credsStore. A helper wins over an "auths" entry (which then only records the login).
  std::optional<std::string> helperFor(const std::string& host) const;

 private:
  std::vector<std::pair<std::string, Credentials>> entries_;  // normalised key → creds
  std::map<std::string, std::string> helpers_;                // normalised host → helper name
  std::string store_;                                         // credsStore, may be empty
};

// The files consulted, in order, when no --authfile is given: REGISTRY_AUTH_FILE,
// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
std::vector<std::filesystem::path> defaultAuthFilePaths();

// Resolves credentials for a host: explicit file only (missing or broken is an error), else
// the first default file that has an entry (a helper with nothing for the host is no entry).
// Anonymous when none does. `answers` keeps helper answers for the rest of the run.
Result<std::optional<Credentials>> findCredentials(const std::optional<std::filesystem::path>& explicitFile,
                                                   const std::string& host, HelperAnswers* answers = nullptr);

}  // namespace autonomy::registry
