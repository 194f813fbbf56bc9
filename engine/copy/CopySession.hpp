#pragma once
// The engine as one run needs it, set up once for both front ends: a client per registry on a
// shared connection pool, the blob ledger, the gate on blob streams, the cancel token.
#include <memory>

#include "engine/copy/CopyContext.hpp"

namespace autonomy::copy {

class CopySession {
 public:
  CopySession(registry::ConnectionPool& pool, registry::RegistrySettings from, registry::RegistrySettings to,
              TransferLimits limits, CancelTokenPtr cancel);
  CopySession(const CopySession&) = delete;
  CopySession& operator=(const CopySession&) = delete;

  CopyContext& context() { return ctx_; }

 private:
  std::unique_ptr<registry::RegistryClient> source_;
  std::unique_ptr<registry::RegistryClient> dest_;
  std::unique_ptr<BlobLedger> ledger_;
  std::unique_ptr<registry::AsyncGate> transferGate_;
  CopyContext ctx_;
};

}  // namespace autonomy::copy
