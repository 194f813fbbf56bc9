#include "tests/unit/jobs/FakeEngine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::jobs::testing {

namespace {
FakeEngine* gEngine = nullptr;
}

void useFakeEngine(FakeEngine* engine) { gEngine = engine; }

registry::Task<catalog::SeedRecord> fakeSeed(copy::CopyContext* ctx, copy::SeedRequest request,
                                             copy::CopyAdmission& admission) {
  FakeEngine& e = *gEngine;
  catalog::SeedRecord r;
  r.repo = request.dest.repo;
  r.tag = request.dest.tag;
  r.source = ctx->source->name() + "/" + request.source.str();
  r.destination = ctx->dest->name() + "/" + request.dest.str();
  // As the engine's seed: the copy waits for the run's admission (slots, order, stop).
  auto ticket = co_await admission.admit(request.order, ctx->cancel);
  if (ticket.verdict != copy::CopyAdmission::Verdict::kAdmitted) {
    const bool stopped = ticket.verdict == copy::CopyAdmission::Verdict::kStopped;
    r.status = stopped ? catalog::kStatusNotAttempted : catalog::kStatusCancelled;
    if (!stopped) r.error = makeError(ErrorCode::kCancelled, "cancelled");
    co_return r;
  }
  const std::string key = ctx->dest->name() + "/" + request.dest.repo;
  ++e.calls[request.dest.repo];
  ++e.inFlight;
  e.maxInFlight = std::max(e.maxInFlight, e.inFlight);
  if (e.writers[key]++ > 0) e.overlap = true;
  if (ctx->progress) ctx->progress->bytesSent(request.dest.repo, oci::Digest{}, 100);
  boost::asio::steady_timer timer(ctx->source->executor());
  timer.expires_after(e.delay);
  auto subscription = ctx->cancel->subscribe([&timer] { timer.cancel(); });
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  ctx->cancel->unsubscribe(subscription);
  --e.writers[key];
  --e.inFlight;
  r.digest = "sha256:" + std::string(64, '1');
  r.bytesSent = 100;
  r.startedAt = catalog::nowRfc3339();
  r.finishedAt = catalog::nowRfc3339();
  if (ctx->cancel->cancelled()) {
    r.status = catalog::kStatusCancelled;
    r.error = makeError(ErrorCode::kCancelled, "cancelled");
  } else if (e.failRepos.count(request.dest.repo)) {
    r.status = catalog::kStatusFailed;
    r.error = makeError(ErrorCode::kVerification, "verify " + request.source.str() + ": no signature");
  } else {
    r.status = catalog::kStatusCopied;
    r.blobsCopied = 2;
  }
  co_return r;
}

}  // namespace autonomy::jobs::testing
