#include "engine/registry/Url.hpp"

namespace autonomy::registry {

std::pair<std::string, std::string> splitHostPort(std::string_view hostPort, std::string_view defaultPort) {
  if (!hostPort.empty() && hostPort.front() == '[') {
    const auto close = hostPort.find(']');
    std::string host(hostPort.substr(0, close + 1));
    if (close + 1 < hostPort.size() && hostPort[close + 1] == ':')
      return {host, std::string(hostPort.substr(close + 2))};
    return {host, std::string(defaultPort)};
  }
  const auto colon = hostPort.rfind(':');
  if (colon == std::string_view::npos) return {std::string(hostPort), std::string(defaultPort)};
  return {std::string(hostPort.substr(0, colon)), std::string(hostPort.substr(colon + 1))};
}

std::string Url::authority() const {
  if ((tls && port == "443") || (!tls && port == "80")) return host;
  return host + ":" + port;
}

Result<Url> Url::parse(std::string_view text) {
  Url u;
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    u.tls = false;
    rest = text.substr(7);
  } else {
    return makeError(ErrorCode::kRegistry, "not an http(s) URL: '" + std::string(text) + "'");
  }
  const auto slash = rest.find_first_of("/?");
  const auto hostPort = rest.substr(0, slash);
  if (hostPort.empty()) return makeError(ErrorCode::kRegistry, "URL has no host: '" + std::string(text) + "'");
  auto [host, port] = splitHostPort(hostPort, u.tls ? "443" : "80");
  u.host = std::move(host);
  u.port = std::move(port);
  if (slash != std::string_view::npos) {
    u.target = std::string(rest.substr(slash));
    if (u.target.front() == '?') u.target = "/" + u.target;
  }
  return u;
}

Result<Url> Url::resolve(const Url& base, std::string_view location) {
  if (location.starts_with("http://") || location.starts_with("https://")) return parse(location);
  if (location.empty() || location.front() != '/')
    return makeError(ErrorCode::kRegistry, "registry sent an unusable Location '" + std::string(location) + "'");
  Url u = base;
  u.target = std::string(location);
  return u;
}

std::string urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string appendQuery(std::string target, std::string_view key, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += urlEncode(value);
  return target;
}

}  // namespace autonomy::registry
