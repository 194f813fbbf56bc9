#include "engine/copy/KnownTags.hpp"

namespace autonomy::copy {

std::shared_ptr<const KnownTags> KnownTags::unknown() {
  static const auto none = std::make_shared<const KnownTags>();
  return none;
}

std::shared_ptr<const KnownTags> KnownTags::fromListing(registry::TagListing listing) {
  if (!listing.complete) return unknown();
  auto known = std::make_shared<KnownTags>();
  known->listed_ = true;
  for (auto& t : listing.tags) known->tags_.insert(std::move(t));
  return known;
}

bool KnownTags::mayExist(std::string_view tag) const { return !listed_ || tags_.contains(std::string(tag)); }

}  // namespace autonomy::copy
