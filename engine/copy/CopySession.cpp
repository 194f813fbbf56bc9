#include "engine/copy/CopySession.hpp"

#include <stdexcept>

namespace autonomy::copy {

namespace {
std::vector<std::unique_ptr<endpoint::Endpoint>> one(std::unique_ptr<endpoint::Endpoint> dest) {
  std::vector<std::unique_ptr<endpoint::Endpoint>> v;
  v.push_back(std::move(dest));
  return v;
}
}  // namespace

CopySession::CopySession(std::unique_ptr<endpoint::Endpoint> source, std::unique_ptr<endpoint::Endpoint> dest,
                         TransferLimits limits, CancelTokenPtr cancel)
    : CopySession(std::move(source), one(std::move(dest)), limits, std::move(cancel)) {}

CopySession::CopySession(std::unique_ptr<endpoint::Endpoint> source,
                         std::vector<std::unique_ptr<endpoint::Endpoint>> dests, TransferLimits limits,
                         CancelTokenPtr cancel)
    : source_(std::move(source)), dests_(std::move(dests)) {
  if (dests_.empty()) throw std::invalid_argument("CopySession: no destination");
  // A transfer holds a source stream and a stream at each destination it feeds; when both ends
  // are the same place, half its streams each keeps transfers from starving one another.
  std::size_t streams = source_->parallelism();
  bool same = false;
  for (const auto& d : dests_) {
    streams = std::min(streams, d->parallelism());
    same = same || source_->name() == d->name();
  }
  const std::size_t transfers = std::max<std::size_t>(1, same ? streams / 2 : streams);
  for (std::size_t i = 0; i < dests_.size(); ++i) ledgers_.push_back(std::make_unique<BlobLedger>(source_->executor()));
  transferGate_ = std::make_unique<async::AsyncGate>(source_->executor(), transfers);
  ctx_.source = source_.get();
  ctx_.dest = dests_[0].get();
  ctx_.ledger = ledgers_[0].get();
  ctx_.transferGate = transferGate_.get();
  ctx_.limits = limits;
  ctx_.cancel = std::move(cancel);
  for (std::size_t i = 1; i < dests_.size(); ++i) others_.push_back(std::make_unique<CopyContext>());
}

std::vector<CopyContext*> CopySession::peers() {
  std::vector<CopyContext*> out{&ctx_};
  for (std::size_t i = 0; i < others_.size(); ++i) {
    auto& peer = *others_[i];
    peer = ctx_;  // what is shared, as set now
    peer.dest = dests_[i + 1].get();
    peer.ledger = ledgers_[i + 1].get();
    out.push_back(&peer);
  }
  return out;
}

registry::Task<Status> CopySession::finish() {
  for (auto& d : dests_)
    if (auto st = co_await d->finish(ctx_.cancel); !st) co_return st;
  co_return Status{};
}

}  // namespace autonomy::copy
