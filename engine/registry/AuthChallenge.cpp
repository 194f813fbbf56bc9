#include "engine/registry/AuthChallenge.hpp"

#include <cctype>

namespace autonomy::registry {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
void skipSpace(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
}
}  // namespace

std::optional<AuthChallenge> parseAuthChallenge(std::string_view h) {
  std::size_t i = 0;
  skipSpace(h, i);
  const auto start = i;
  while (i < h.size() && h[i] != ' ' && h[i] != '\t') ++i;
  if (i == start) return std::nullopt;
  AuthChallenge c;
  c.scheme = lower(h.substr(start, i - start));
  while (i < h.size()) {
    skipSpace(h, i);
    const auto keyStart = i;
    while (i < h.size() && h[i] != '=' && h[i] != ' ' && h[i] != ',') ++i;
    if (i >= h.size() || h[i] != '=') break;  // a second challenge or a token68: stop here
    std::string key = lower(h.substr(keyStart, i - keyStart));
    ++i;
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      while (i < h.size() && h[i] != '"') {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value.push_back(h[i++]);
      }
      ++i;  // closing quote
    } else {
      while (i < h.size() && h[i] != ',' && h[i] != ' ') value.push_back(h[i++]);
    }
    c.params[key] = value;
  }
  return c;
}

}  // namespace autonomy::registry
