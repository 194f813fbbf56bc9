#pragma once
// A job's tag selections made concrete when it runs: each selection asks the source for the
// repo's tags/list once and becomes the references it picks (oci::TagSelector's rules).
#include <string>
#include <vector>

#include "engine/endpoint/Endpoint.hpp"
#include "engine/oci/Reference.hpp"
#include "engine/oci/TagSelection.hpp"

namespace autonomy::copy {

// The references `selection` picks at `source`, newest first (a fixed list as written). An
// incomplete listing is an error rather than a guess, and so is more than kMaxSelectedTags
// matches; no match is an empty list (the caller says so).
registry::Task<Result<std::vector<oci::RepoRef>>> selectTags(endpoint::Endpoint& source, oci::RepoSelection selection,
                                                             CancelTokenPtr cancel);

}  // namespace autonomy::copy
