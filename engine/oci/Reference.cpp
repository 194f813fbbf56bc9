#include "engine/oci/Reference.hpp"

#include "engine/core/Printable.hpp"

#include <string>

namespace autonomy::oci {

namespace {
// Hand-written matchers for the distribution/reference grammar: linear time and no recursion,
// whatever an API client or a registry sends (std::regex backtracks on the stack and overflowed
// it on a 130,000-character name).
bool isLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return isLower(c) || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool validComponent(std::string_view part) {
  std::size_t i = 0;
  const std::size_t n = part.size();
  while (true) {
    const std::size_t runStart = i;
    while (i < n && isLower(part[i])) ++i;
    if (i == runStart) return false;  // empty, or a separator where a letter must be
    if (i == n) return true;
    if (part[i] == '.') {
      ++i;
    } else if (part[i] == '_') {
      ++i;
      if (i < n && part[i] == '_') ++i;
    } else if (part[i] == '-') {
      while (i < n && part[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
bool validTagText(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !(isAlnum(tag[0]) || tag[0] == '_')) return false;
  for (const char c : tag)
    if (!(isAlnum(c) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

// label(.label)* with label = [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?, or [IPv6], then (:port)?
bool validHostText(std::string_view host) {
  if (host.empty()) return false;
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (const char c : host.substr(1, close - 1))
      if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) return false;
    name = {};
    port = host.substr(close + 1);
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon);
  }
  if (!port.empty()) {
    if (port[0] != ':' || port.size() < 2 || port.size() > 6) return false;
    for (const char c : port.substr(1))
      if (!isDigit(c)) return false;
  }
  if (host[0] == '[') return true;
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !isAlnum(label.front()) || !isAlnum(label.back())) return false;
    for (const char c : label)
      if (!(isAlnum(c) || c == '-')) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

Status validateRepository(std::string_view repo) {
  if (repo.empty()) return makeError(ErrorCode::kUsage, "empty repository name");
  if (repo.size() > kMaxRepoLength)
    return makeError(ErrorCode::kUsage, "repository name " + quotedText(repo) + " is " + std::to_string(repo.size()) +
                                            " characters; the limit is 255");
  std::size_t start = 0;
  while (true) {
    const auto slash = repo.find('/', start);
    const auto part = repo.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!validComponent(part))
      return makeError(ErrorCode::kUsage,
                       "invalid repository name " + quotedText(repo) + ": path component " + quotedText(part) +
                           " must be lowercase letters and digits, separated by '.', '_', '__' or '-' "
                           "(e.g. fleet/nav-stack)");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Status validateTag(std::string_view tag) {
  if (tag.empty()) return makeError(ErrorCode::kUsage, "empty tag");
  if (!validTagText(tag))
    return makeError(ErrorCode::kUsage, "invalid tag " + quotedText(tag) +
                                            ": up to 128 of A-Z a-z 0-9 _ . -, not starting with '.' or '-'");
  return {};
}

Status validateRegistryHost(std::string_view host) {
  if (host.empty()) return makeError(ErrorCode::kUsage, "empty registry host");
  if (host.size() > kMaxHostLength || !validHostText(host))
    return makeError(ErrorCode::kUsage, "invalid registry host " + quotedText(host) +
                                            ": expected host[:port] such as edge-a.local:5000 (no scheme, no path)");
  return {};
}

std::string canonicalRegistryHost(std::string_view host) {
  std::string out(host);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  // HTTPS is tried first and 443 is its port, so "host:443" is "host". Only after a host
  // ("x:443", "[::1]:443"): a bare "[::443]" names no port.
  constexpr std::string_view kDefaultPort = ":443";
  if (out.size() > kDefaultPort.size() && out.ends_with(kDefaultPort)) {
    const auto head = std::string_view(out).substr(0, out.size() - kDefaultPort.size());
    const bool bracketed = head.starts_with('[');
    if (bracketed ? head.ends_with(']') : head.find(':') == std::string_view::npos) out.resize(head.size());
  }
  return out;
}

std::string RepoRef::str() const {
  std::string s = repo;
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

Result<RepoRef> RepoRef::parse(std::string_view text) {
  RepoRef out;
  std::string_view rest = text;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = Digest::parse(rest.substr(at + 1));
    if (!d) return d.error().context("reference " + quotedText(text));
    out.digest = *d;
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' separates the tag.
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (auto s = validateTag(out.tag); !s) return s.error().context("reference " + quotedText(text));
  } else if (!out.digest) {
    out.tag = "latest";
  }
  out.repo = std::string(rest);
  if (auto s = validateRepository(out.repo); !s) return s.error();
  return out;
}

Result<ImageRef> ImageRef::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return makeError(ErrorCode::kUsage,
                     "image reference " + quotedText(text) + " has no registry host: expected host[:port]/repo[:tag]");
  ImageRef out;
  out.host = std::string(text.substr(0, slash));
  if (auto s = validateRegistryHost(out.host); !s) return s.error().context("image reference " + quotedText(text));
  out.host = canonicalRegistryHost(out.host);
  auto r = RepoRef::parse(text.substr(slash + 1));
  if (!r) return r.error();
  out.ref = std::move(*r);
  return out;
}

}  // namespace autonomy::oci
