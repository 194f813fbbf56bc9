#include "engine/registry/Credentials.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/core/Base64.hpp"
#include "engine/core/Printable.hpp"
#include "engine/oci/Reference.hpp"
#include "engine/registry/CredentialHelper.hpp"

namespace autonomy::registry {

namespace {
// "https://host:5000/v1/" → "host:5000"; "host/ns" stays (namespace-scoped entry).
std::string normaliseKey(std::string key) {
  for (std::string_view scheme : {"https://", "http://"})
    if (key.starts_with(scheme)) key = key.substr(scheme.size());
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (auto v1 = key.find("/v1"); v1 != std::string::npos && v1 + 3 == key.size()) key.resize(v1);
  if (auto v2 = key.find("/v2"); v2 != std::string::npos && v2 + 3 == key.size()) key.resize(v2);
  // Host names have no case (and repo paths are lower case): match the canonical host.
  return oci::canonicalRegistryHost(key);
}
}  // namespace

Result<AuthFile> AuthFile::parse(std::string_view text, const std::string& origin) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return makeError(ErrorCode::kConfig, "auth file " + origin + " is not valid JSON");
  AuthFile out;
  if (j.contains("credHelpers")) {
    if (!j["credHelpers"].is_object())
      return makeError(ErrorCode::kConfig, "auth file " + origin + ": 'credHelpers' is not an object");
    for (auto& [key, name] : j["credHelpers"].items()) {
      if (!name.is_string() || name.get<std::string>().empty())
        return makeError(ErrorCode::kConfig, "auth file " + origin + ": credHelpers entry for \"" + printable(key) +
                                                 "\" is not a helper name");
      out.helpers_[normaliseKey(key)] = name.get<std::string>();
    }
  }
  if (j.contains("credsStore")) {
    if (!j["credsStore"].is_string())
      return makeError(ErrorCode::kConfig, "auth file " + origin + ": 'credsStore' is not a helper name");
    out.store_ = j["credsStore"].get<std::string>();
  }
  if (!j.contains("auths")) return out;
  if (!j["auths"].is_object())
    return makeError(ErrorCode::kConfig, "auth file " + origin + ": 'auths' is not an object");
  for (auto& [key, entry] : j["auths"].items()) {
    if (!entry.is_object()) continue;
    Credentials c;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      auto decoded = base64Decode(entry["auth"].get<std::string>());
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (!decoded || colon == std::string::npos)
        return makeError(ErrorCode::kConfig, "auth file " + origin + ": entry '" + key +
                                                 "' has an 'auth' value that is not base64 of user:password");
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
    } else if (entry.contains("username") && entry["username"].is_string()) {
      c.username = entry["username"].get<std::string>();
      c.password = entry.value("password", std::string());
    }
    // Docker writes one after an OAuth login; the token server then wants it, not the password.
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
      c.identityToken = entry["identitytoken"].get<std::string>();
    if (c.empty()) continue;  // "{}": the login lives in a helper (credsStore)
    out.entries_.emplace_back(normaliseKey(key), std::move(c));
  }
  return out;
}

Result<AuthFile> AuthFile::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return makeError(ErrorCode::kConfig, "cannot read auth file " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string());
}

std::optional<Credentials> AuthFile::lookup(const std::string& host, const std::string& repo) const {
  const Credentials* best = nullptr;
  std::size_t bestLen = 0;
  const std::string full = repo.empty() ? host : host + "/" + repo;
  for (const auto& [key, creds] : entries_) {
    const bool matches = key == host || (full.starts_with(key) && full.size() > key.size() && full[key.size()] == '/' &&
                                         key.starts_with(host + "/"));
    if (matches && key.size() >= bestLen) {
      best = &creds;
      bestLen = key.size();
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

std::optional<std::string> AuthFile::helperFor(const std::string& host) const {
  if (auto it = helpers_.find(host); it != helpers_.end()) return it->second;
  if (!store_.empty()) return store_;
  return std::nullopt;
}

std::vector<std::filesystem::path> defaultAuthFilePaths() {
  std::vector<std::filesystem::path> out;
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (!env("REGISTRY_AUTH_FILE").empty()) out.emplace_back(env("REGISTRY_AUTH_FILE"));
  if (!env("XDG_RUNTIME_DIR").empty())
    out.push_back(std::filesystem::path(env("XDG_RUNTIME_DIR")) / "containers/auth.json");
  const std::string home = env("HOME");
  if (!home.empty()) out.push_back(std::filesystem::path(home) / ".config/containers/auth.json");
  if (!env("DOCKER_CONFIG").empty())
    out.push_back(std::filesystem::path(env("DOCKER_CONFIG")) / "config.json");
  else if (!home.empty())
    out.push_back(std::filesystem::path(home) / ".docker/config.json");
  return out;
}

namespace {
// What one file says about host: its helper's answer when it names one, else its entry.
Result<std::optional<Credentials>> credentialsIn(const AuthFile& file, const std::filesystem::path& path,
                                                 const std::string& host, HelperAnswers* answers) {
  if (auto helper = file.helperFor(host)) {
    auto asked = askCredentialHelper(*helper, host, answers);
    if (!asked) return asked.error().context("auth file " + path.string());
    return asked;
  }
  return file.lookup(host);
}
}  // namespace

Result<std::optional<Credentials>> findCredentials(const std::optional<std::filesystem::path>& explicitFile,
                                                   const std::string& host, HelperAnswers* answers) {
  if (explicitFile) {
    auto file = AuthFile::load(*explicitFile);
    if (!file) return file.error();
    return credentialsIn(*file, *explicitFile, host, answers);
  }
  for (const auto& path : defaultAuthFilePaths()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    auto file = AuthFile::load(path);
    if (!file) return file.error();  // a broken default file is worth stopping for: it hides creds
    auto c = credentialsIn(*file, path, host, answers);
    if (!c || *c) return c;
  }
  return std::optional<Credentials>{};
}

}  // namespace autonomy::registry
