#pragma once
// One seed: source repo → destination repo, in SPEC §1's order: resolve, verify, delta, copy
// bottom-up (blobs, child manifests, attachments, sidecars), and the tag last.
#include <memory>
#include <vector>

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

// Lets a checked repo go on to copy. The run decides when (copy slots, the order of a fail-fast
// run) and whether (the run stopped at an earlier failure).
class CopyAdmission {
 public:
  enum class Verdict { kAdmitted, kStopped, kCancelled };
  struct Ticket {
    Verdict verdict = Verdict::kAdmitted;
    async::GatePass pass;  // held while the repo copies
  };
  virtual ~CopyAdmission() = default;
  virtual registry::Task<Ticket> admit(std::size_t order, CancelTokenPtr cancel) = 0;
};

// Admits every repo at once: a seed run on its own.
class AdmitAll final : public CopyAdmission {
 public:
  registry::Task<Ticket> admit(std::size_t order, CancelTokenPtr cancel) override;
};

// Never throws for expected failures: the record says what happened. A repo the admission
// stopped is `not attempted`, with what its checks found.
registry::Task<catalog::SeedRecord> runSeed(CopyContext* ctx, SeedRequest request, CopyAdmission& admission);

// runSeed at several peers at once (fan-out): each peer's context holds its endpoint (dest) and
// ledger; `shared` holds the source and what the run shares. The source is resolved, verified
// and read once for all of them; each peer gets its own record, in the order of `peers`, and a
// peer that fails does not stop the others (whether the run goes on is the caller's rule).
registry::Task<std::vector<catalog::SeedRecord>> runFanOutSeed(CopyContext* shared, std::vector<CopyContext*> peers,
                                                               SeedRequest request, CopyAdmission& admission);

}  // namespace autonomy::copy
