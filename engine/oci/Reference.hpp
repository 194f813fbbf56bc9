#pragma once
// Repository names, tags and references, checked against the OCI distribution grammar before
// any request or file path is made from them.
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"

namespace autonomy::oci {

inline constexpr std::size_t kMaxRepoLength = 255;
inline constexpr std::size_t kMaxTagLength = 128;
inline constexpr std::size_t kMaxHostLength = 255 + 6;  // a DNS name and ":port"

Status validateRepository(std::string_view repo);
Status validateTag(std::string_view tag);
// host[:port]; a bare word, an IPv4, a bracketed IPv6 or a DNS name.
Status validateRegistryHost(std::string_view host);
// One spelling per registry host (host names have no case: LOCALHOST:5000 is localhost:5000; and
// 443 is the default port: registry.example:443 is registry.example), so
// that repo locks, connection pools, upload journals and config lookups agree. Every front end
// applies it where a host comes in.
std::string canonicalRegistryHost(std::string_view host);

// A repo with a tag or a digest, without a registry host: "fleet/nav:v2", "demo@sha256:…".
struct RepoRef {
  std::string repo;
  std::string tag;  // empty when pinned by digest only
  std::optional<Digest> digest;

  // "repo:tag" or "repo@sha256:…": the form used in logs and catalogs.
  std::string str() const;
  // What goes in a manifest URL: the tag, or the digest.
  std::string reference() const { return digest && tag.empty() ? digest->str() : tag; }

  // "repo", "repo:tag", "repo@sha256:…"; tag defaults to "latest".
  static Result<RepoRef> parse(std::string_view text);
};

// "host[:port]/repo[:tag|@digest]" as given to `registry seed --from/--to`.
struct ImageRef {
  std::string host;
  RepoRef ref;
  std::string str() const { return host + "/" + ref.str(); }
  static Result<ImageRef> parse(std::string_view text);
};

}  // namespace autonomy::oci
