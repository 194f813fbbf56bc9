#pragma once
// Just enough URL handling for registry traffic: upload Locations, token realms, redirects.
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::registry {

struct Url {
  bool tls = true;
  std::string host;          // without port, brackets kept for IPv6
  std::string port;          // always set ("443"/"80" by default)
  std::string target = "/";  // path + query

  std::string authority() const;  // host[:port] as written in a Host header
  std::string originKey() const { return (tls ? "https://" : "http://") + host + ":" + port; }
  std::string str() const { return (tls ? "https://" : "http://") + authority() + target; }

  static Result<Url> parse(std::string_view text);
  // A Location header may be absolute or relative to the registry that sent it.
  static Result<Url> resolve(const Url& base, std::string_view location);
};

// "host[:port]" → (host, port) with a default port.
std::pair<std::string, std::string> splitHostPort(std::string_view hostPort, std::string_view defaultPort);

std::string urlEncode(std::string_view s);
// Appends "key=value" with the right separator ('?' or '&').
std::string appendQuery(std::string target, std::string_view key, std::string_view value);

}  // namespace autonomy::registry
