#include "engine/registry/CredentialHelper.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "engine/core/Printable.hpp"

namespace autonomy::registry {

namespace {

bool validHelperName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

Result<std::optional<Credentials>> ask(const std::string& helper, const std::string& host, ChildLimits limits) {
  const std::string program = "docker-credential-" + helper;
  const std::string where = "credential helper " + program + " for " + host;
  if (!validHelperName(helper))
    return makeError(ErrorCode::kConfig, "credential helper name \"" + printable(helper) + "\"" +
                                             " is not a program name (letters, digits, '-', '_', '.')");
  auto run = runChild({program, "get"}, host, limits);
  if (!run) {
    if (run.error().code == ErrorCode::kNotFound)
      return makeError(ErrorCode::kConfig, where + " is not installed (no " + program +
                                               " in PATH); install it or remove it from the auth file");
    return makeError(run.error().code, where + ": " + run.error().message, run.error().transient);
  }
  // Helpers say "credentials not found in native keychain" on stdout and exit 1.
  if (run->exitCode != 0 && run->stdoutText.find("credentials not found") != std::string::npos)
    return std::optional<Credentials>{};
  const std::string howToSee = "; run `echo " + host + " | " + program + " get` to see why";
  if (run->exitCode != 0)
    return makeError(ErrorCode::kAuth,
                     where + " failed (" +
                         (run->exitCode < 0 ? std::string("killed") : "exit " + std::to_string(run->exitCode)) + ")" +
                         howToSee);
  auto j = nlohmann::json::parse(run->stdoutText, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("Username") || !j["Username"].is_string() ||
      !j.contains("Secret") || !j["Secret"].is_string())
    return makeError(ErrorCode::kAuth, where + " answered something other than {\"Username\", \"Secret\"}" + howToSee);
  Credentials c;
  const auto user = j["Username"].get<std::string>();
  if (user == "<token>")
    c.identityToken = j["Secret"].get<std::string>();
  else {
    c.username = user;
    c.password = j["Secret"].get<std::string>();
  }
  if (c.empty()) return std::optional<Credentials>{};
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

Result<std::optional<Credentials>> askCredentialHelper(const std::string& helper, const std::string& host,
                                                       HelperAnswers* cache, ChildLimits limits) {
  const auto key = std::make_pair(helper, host);
  if (cache)
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  auto answer = ask(helper, host, limits);
  if (answer && cache) cache->emplace(key, *answer);
  return answer;
}

}  // namespace autonomy::registry
