#pragma once
// The tags a source repo holds, from one tags/list per repo: the checker then asks only for the
// attachment tags (sha256-<hex>.sig/.att/.sbom, sha256-<hex>, sidecars) that exist, instead of
// one request each to learn that most do not. Without a complete listing every tag may exist.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "engine/registry/RegistryClient.hpp"

namespace autonomy::copy {

class KnownTags {
 public:
  // Nothing known: every tag is asked for.
  static std::shared_ptr<const KnownTags> unknown();
  // An incomplete listing (too long, or paged where the client does not follow) knows nothing.
  static std::shared_ptr<const KnownTags> fromListing(registry::TagListing listing);

  // False only when a complete listing lacks the tag.
  bool mayExist(std::string_view tag) const;
  bool listed() const { return listed_; }

 private:
  bool listed_ = false;
  std::unordered_set<std::string> tags_;
};

using KnownTagsPtr = std::shared_ptr<const KnownTags>;

}  // namespace autonomy::copy
