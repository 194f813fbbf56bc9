#include "engine/copy/SelectTags.hpp"

namespace autonomy::copy {

registry::Task<Result<std::vector<oci::RepoRef>>> selectTags(endpoint::Endpoint& source, oci::RepoSelection selection,
                                                             CancelTokenPtr cancel) {
  const std::string what = selection.repo + " (" + selection.tags.describe() + ")";
  std::vector<std::string> tags;
  if (selection.tags.needsListing()) {
    auto listing = co_await source.listTags(selection.repo, cancel);
    if (!listing) co_return listing.error().context("selecting tags of " + what + " at " + source.name());
    if (!listing->complete)
      co_return makeError(ErrorCode::kRegistry,
                          "selecting tags of " + what + ": " + source.name() +
                              "'s tags/list is incomplete (more tags or pages than are read), and a selection "
                              "needs all of them; name the tags instead");
    tags = selection.tags.select(listing->tags);
  } else {
    tags = selection.tags.select({});
  }
  if (tags.size() > oci::kMaxSelectedTags)
    co_return makeError(ErrorCode::kUsage, "selecting tags of " + what + ": " + std::to_string(tags.size()) +
                                               " tags match; at most " + std::to_string(oci::kMaxSelectedTags) +
                                               " per selection (narrow it, or add keep_latest)");
  std::vector<oci::RepoRef> refs;
  refs.reserve(tags.size());
  for (auto& tag : tags) refs.push_back(oci::RepoRef{selection.repo, std::move(tag), std::nullopt});
  co_return refs;
}

}  // namespace autonomy::copy
