#pragma once
// WWW-Authenticate parsing (RFC 7235 auth-params, as registries send them).
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace autonomy::registry {

struct AuthChallenge {
  std::string scheme;                         // lowercase: "basic" or "bearer"
  std::map<std::string, std::string> params;  // lowercase keys: realm, service, scope, error

  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses the first challenge of the header; nullopt if it has no scheme.
std::optional<AuthChallenge> parseAuthChallenge(std::string_view header);

}  // namespace autonomy::registry
