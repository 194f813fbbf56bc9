#pragma once
// The engine as one run needs it, set up once for both front ends: the endpoints, a blob ledger
// per destination, the gate on blob streams, the cancel token. Several destinations make a
// fan-out: one context per peer, sharing the source.
#include <memory>
#include <vector>

#include "engine/copy/CopyContext.hpp"
#include "engine/endpoint/UploadJournal.hpp"

namespace autonomy::copy {

class CopySession {
 public:
  CopySession(std::unique_ptr<endpoint::Endpoint> source, std::vector<std::unique_ptr<endpoint::Endpoint>> dests,
              TransferLimits limits, CancelTokenPtr cancel);
  CopySession(std::unique_ptr<endpoint::Endpoint> source, std::unique_ptr<endpoint::Endpoint> dest,
              TransferLimits limits, CancelTokenPtr cancel);
  CopySession(const CopySession&) = delete;
  CopySession& operator=(const CopySession&) = delete;

  // The first destination's context; in a fan-out also what the peers share (set progress,
  // verdicts and the like here).
  CopyContext& context() { return ctx_; }
  // One context per destination, in the order given, each as context() but for its endpoint
  // and ledger.
  std::vector<CopyContext*> peers();
  // After a run that was not interrupted: what each destination writes last (an archive's tar).
  registry::Task<Status> finish();

 private:
  std::unique_ptr<endpoint::Endpoint> source_;
  std::vector<std::unique_ptr<endpoint::Endpoint>> dests_;
  std::vector<std::unique_ptr<BlobLedger>> ledgers_;
  std::unique_ptr<async::AsyncGate> transferGate_;
  CopyContext ctx_;
  std::vector<std::unique_ptr<CopyContext>> others_;  // the peers after the first
};

}  // namespace autonomy::copy
