#pragma once
// One seed: source repo → destination repo, in SPEC §1's order: resolve, verify, delta, copy
// bottom-up (blobs, child manifests, attachments, sidecars), and the tag last.
#include <memory>

#include "engine/catalog/SeedRecord.hpp"
#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Reference.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::copy {

struct SeedRequest {
  oci::RepoRef source;                               // at ctx->source
  oci::RepoRef dest;                                 // at ctx->dest
  std::shared_ptr<const verify::TrustPolicy> trust;  // null only with an explicit --skip-verify
  bool copyPolicy = false;
  std::size_t order = 0;  // place in the run (for CopyTurns)
};

// Never throws for expected failures: the record says what happened.
registry::Task<catalog::SeedRecord> runSeed(CopyContext* ctx, SeedRequest request);

}  // namespace autonomy::copy
