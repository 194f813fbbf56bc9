#include "engine/copy/CopySession.hpp"

namespace autonomy::copy {

CopySession::CopySession(registry::ConnectionPool& pool, registry::RegistrySettings from, registry::RegistrySettings to,
                         TransferLimits limits, CancelTokenPtr cancel) {
  // A transfer holds a source and a destination connection at once; when both are the same
  // host, half the connections each keeps transfers from starving one another.
  const std::size_t connections = std::min(from.maxConnections, to.maxConnections);
  const std::size_t transfers = std::max<std::size_t>(1, from.host == to.host ? connections / 2 : connections);
  source_ = std::make_unique<registry::RegistryClient>(pool, std::move(from));
  dest_ = std::make_unique<registry::RegistryClient>(pool, std::move(to));
  ledger_ = std::make_unique<BlobLedger>(pool.executor());
  transferGate_ = std::make_unique<registry::AsyncGate>(pool.executor(), transfers);
  ctx_.source = source_.get();
  ctx_.dest = dest_.get();
  ctx_.ledger = ledger_.get();
  ctx_.transferGate = transferGate_.get();
  ctx_.limits = limits;
  ctx_.cancel = std::move(cancel);
}

}  // namespace autonomy::copy
