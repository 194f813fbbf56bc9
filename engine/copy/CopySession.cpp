#include "engine/copy/CopySession.hpp"

namespace autonomy::copy {

CopySession::CopySession(std::unique_ptr<endpoint::Endpoint> source, std::unique_ptr<endpoint::Endpoint> dest,
                         TransferLimits limits, CancelTokenPtr cancel)
    : source_(std::move(source)), dest_(std::move(dest)) {
  // A transfer holds a source and a destination stream at once; when both are the same place,
  // half its streams each keeps transfers from starving one another.
  const std::size_t streams = std::min(source_->parallelism(), dest_->parallelism());
  const bool same = source_->name() == dest_->name();
  const std::size_t transfers = std::max<std::size_t>(1, same ? streams / 2 : streams);
  ledger_ = std::make_unique<BlobLedger>(source_->executor());
  transferGate_ = std::make_unique<async::AsyncGate>(source_->executor(), transfers);
  ctx_.source = source_.get();
  ctx_.dest = dest_.get();
  ctx_.ledger = ledger_.get();
  ctx_.transferGate = transferGate_.get();
  ctx_.limits = limits;
  ctx_.cancel = std::move(cancel);
}

}  // namespace autonomy::copy
