#pragma once
// The engine as one run needs it, set up once for both front ends: the two endpoints, the blob
// ledger, the gate on blob streams, the cancel token.
#include <memory>

#include "engine/copy/CopyContext.hpp"
#include "engine/endpoint/UploadJournal.hpp"

namespace autonomy::copy {

class CopySession {
 public:
  CopySession(std::unique_ptr<endpoint::Endpoint> source, std::unique_ptr<endpoint::Endpoint> dest,
              TransferLimits limits, CancelTokenPtr cancel);
  CopySession(const CopySession&) = delete;
  CopySession& operator=(const CopySession&) = delete;

  CopyContext& context() { return ctx_; }
  // After a run that was not interrupted: what the destination writes last (an archive's tar).
  registry::Task<Status> finish() { co_return co_await ctx_.dest->finish(ctx_.cancel); }

 private:
  std::unique_ptr<endpoint::Endpoint> source_;
  std::unique_ptr<endpoint::Endpoint> dest_;
  std::unique_ptr<BlobLedger> ledger_;
  std::unique_ptr<async::AsyncGate> transferGate_;
  CopyContext ctx_;
};

}  // namespace autonomy::copy
