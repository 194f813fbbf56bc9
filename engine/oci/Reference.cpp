#include "engine/oci/Reference.hpp"

#include <regex>

namespace autonomy::oci {

namespace {
// distribution/reference: path components of lowercase alnum joined by separators.
const std::regex& componentRe() {
  static const std::regex re("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
  return re;
}
const std::regex& tagRe() {
  static const std::regex re("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  return re;
}
const std::regex& hostRe() {
  static const std::regex re(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]"
      ")"
      "(?::[0-9]{1,5})?");
  return re;
}
std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }
}  // namespace

Status validateRepository(std::string_view repo) {
  if (repo.empty()) return makeError(ErrorCode::kUsage, "empty repository name");
  if (repo.size() > kMaxRepoLength)
    return makeError(ErrorCode::kUsage, "repository name " + quoted(repo.substr(0, 40)) + "… is " +
                                            std::to_string(repo.size()) + " characters; the limit is 255");
  std::size_t start = 0;
  while (true) {
    const auto slash = repo.find('/', start);
    const auto part = repo.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!std::regex_match(part.begin(), part.end(), componentRe()))
      return makeError(ErrorCode::kUsage,
                       "invalid repository name " + quoted(repo) + ": path component " + quoted(part) +
                           " must be lowercase letters and digits, separated by '.', '_', '__' or '-' "
                           "(e.g. fleet/nav-stack)");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Status validateTag(std::string_view tag) {
  if (tag.empty()) return makeError(ErrorCode::kUsage, "empty tag");
  if (tag.size() > kMaxTagLength || !std::regex_match(tag.begin(), tag.end(), tagRe()))
    return makeError(ErrorCode::kUsage,
                     "invalid tag " + quoted(tag) + ": up to 128 of A-Z a-z 0-9 _ . -, not starting with '.' or '-'");
  return {};
}

Status validateRegistryHost(std::string_view host) {
  if (host.empty()) return makeError(ErrorCode::kUsage, "empty registry host");
  if (!std::regex_match(host.begin(), host.end(), hostRe()))
    return makeError(ErrorCode::kUsage, "invalid registry host " + quoted(host) +
                                            ": expected host[:port] such as edge-a.local:5000 (no scheme, no path)");
  return {};
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
    if (!d) return d.error().context("reference " + quoted(text));
    out.digest = *d;
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' separates the tag.
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (auto s = validateTag(out.tag); !s) return s.error().context("reference " + quoted(text));
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
                     "image reference " + quoted(text) + " has no registry host: expected host[:port]/repo[:tag]");
  ImageRef out;
  out.host = std::string(text.substr(0, slash));
  if (auto s = validateRegistryHost(out.host); !s) return s.error().context("image reference " + quoted(text));
  auto r = RepoRef::parse(text.substr(slash + 1));
  if (!r) return r.error();
  out.ref = std::move(*r);
  return out;
}

}  // namespace autonomy::oci
