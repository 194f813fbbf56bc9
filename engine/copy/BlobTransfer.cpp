#include "engine/copy/BlobTransfer.hpp"

#include <optional>

#include "engine/async/TaskGroup.hpp"
#include "engine/copy/BlobTee.hpp"
#include "engine/copy/SourceStream.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

// The run's right to upload one blob to one destination, held until it is sent or given up.
class UploadClaim {
 public:
  UploadClaim(BlobLedger* ledger, oci::Digest digest) : ledger_(ledger), digest_(std::move(digest)) {}
  UploadClaim(UploadClaim&& o) noexcept : ledger_(std::exchange(o.ledger_, nullptr)), digest_(std::move(o.digest_)) {}
  UploadClaim(const UploadClaim&) = delete;
  UploadClaim& operator=(const UploadClaim&) = delete;
  UploadClaim& operator=(UploadClaim&& o) noexcept {
    if (this != &o) {
      reset();
      ledger_ = std::exchange(o.ledger_, nullptr);
      digest_ = std::move(o.digest_);
    }
    return *this;
  }
  ~UploadClaim() { reset(); }

 private:
  // release() wakes the claim's waiters; it cannot throw (a timer's cancel() never does here).
  void reset() noexcept {  // NOLINT(bugprone-exception-escape)
    if (ledger_) std::exchange(ledger_, nullptr)->release(digest_);
  }

  BlobLedger* ledger_;
  oci::Digest digest_;
};

endpoint::WriteOptions writeOptions(CopyContext* ctx, const std::string& dstRepo, const oci::Digest& digest,
                                    CopyStats* stats) {
  endpoint::WriteOptions options;
  options.chunkSize = ctx->limits.chunkSize;
  options.bufferSize = ctx->limits.bufferSize;
  options.maxStalls = ctx->limits.maxStalls;
  options.cancel = ctx->cancel;
  options.sent = [ctx, stats, dstRepo, digest](std::uint64_t n) {
    stats->bytesSent += n;
    if (ctx->progress) ctx->progress->bytesSent(dstRepo, digest, n);
  };
  return options;
}

// Settles the blob at one destination short of sending it: present, or mounted from a repo of
// this run that holds it. Otherwise returns the claim to send it (the ledger's: one upload of a
// blob at a time per destination).
Task<Result<std::optional<UploadClaim>>> settleBlob(CopyContext* ctx, const std::string& dstRepo,
                                                    const oci::Descriptor& desc, CopyStats* stats) {
  auto& ledger = *ctx->ledger;
  bool declined = false;  // the destination declined a mount (and may have opened a write for it)
  while (true) {
    if (ledger.holds(desc.digest, dstRepo)) {
      if (declined) co_await ctx->dest->dropDeclinedMount(dstRepo, desc.digest);
      ++stats->blobsPresent;
      stats->bytesPresent += desc.size;
      co_return std::nullopt;
    }
    // Another repo of this run holds it at B: mount it without the claim. Mounts of one blob
    // into many repos go out at once; only uploads of it are one at a time.
    if (auto from = ledger.holder(desc.digest, dstRepo); from && !declined) {
      auto mounted = co_await ctx->dest->mountBlob(dstRepo, desc.digest, *from, ctx->cancel);
      if (!mounted) co_return mounted.error();
      if (*mounted) {
        ledger.record(desc.digest, dstRepo);
        ++stats->blobsMounted;
        co_return std::nullopt;
      }
      declined = true;
    }
    if (co_await ledger.claim(desc.digest)) break;
  }
  UploadClaim claim(&ledger, desc.digest);
  // The claim is granted without suspending, so no holder appeared since the loop looked: either
  // the destination declined a mount, or nobody in this run has it.
  if (!declined) {
    auto exists = co_await ctx->dest->blobExists(dstRepo, desc.digest, ctx->cancel);
    if (!exists) co_return exists.error();
    if (*exists) {
      ledger.record(desc.digest, dstRepo);
      ++stats->blobsPresent;
      stats->bytesPresent += desc.size;
      co_return std::nullopt;
    }
  }
  co_return std::optional<UploadClaim>(std::move(claim));
}

Task<Status> writeFrom(CopyContext* ctx, endpoint::BlobFeed& feed, const std::string& dstRepo, CopyStats* stats) {
  const auto& desc = feed.descriptor();
  if (ctx->progress) ctx->progress->blobStarted(dstRepo, desc.digest, desc.size);
  auto st = co_await ctx->dest->writeBlob(dstRepo, feed, writeOptions(ctx, dstRepo, desc.digest, stats));
  if (!st) co_return st;
  ++stats->blobsCopied;
  ctx->ledger->record(desc.digest, dstRepo);
  co_return Status{};
}

Task<void> settleAt(BlobPeer* peer, oci::Descriptor desc, std::optional<UploadClaim>* claim) {
  auto settled = co_await settleBlob(peer->ctx, peer->dstRepo, desc, peer->stats);
  if (!settled) {
    peer->fail(settled.error());
    co_return;
  }
  *claim = std::move(*settled);
}

Task<void> writeAt(BlobPeer* peer, std::unique_ptr<endpoint::BlobFeed> feed) {
  auto st = co_await writeFrom(peer->ctx, *feed, peer->dstRepo, peer->stats);
  peer->fail(std::move(st));
}

}  // namespace

Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                        CopyStats* stats) {
  auto claim = co_await settleBlob(ctx, dstRepo, desc, stats);
  if (!claim) co_return claim.error();
  if (!*claim) co_return Status{};
  async::GatePass pass;
  if (ctx->transferGate) {
    const bool admitted = co_await ctx->transferGate->acquire(ctx->cancel);
    if (!admitted) co_return makeError(ErrorCode::kCancelled, "cancelled");
    pass = async::GatePass(ctx->transferGate);
  }
  SourceStream source(ctx, srcRepo, desc);
  co_return co_await writeFrom(ctx, source, dstRepo, stats);
}

Task<void> ensureBlobAtPeers(CopyContext* shared, std::string srcRepo, oci::Descriptor desc,
                             std::vector<BlobPeer*> peers) {
  std::vector<std::optional<UploadClaim>> claims(peers.size());
  if (peers.size() == 1) {
    co_await settleAt(peers[0], desc, &claims[0]);
  } else {
    async::TaskGroup settling(shared->source->executor());
    for (std::size_t i = 0; i < peers.size(); ++i) settling.spawn(settleAt(peers[i], desc, &claims[i]));
    co_await settling.wait();
  }
  std::vector<BlobPeer*> writers;
  for (std::size_t i = 0; i < peers.size(); ++i)
    if (claims[i]) writers.push_back(peers[i]);
  if (writers.empty()) co_return;
  // One transfer: one source stream, however many peers it feeds.
  async::GatePass pass;
  if (shared->transferGate) {
    const bool admitted = co_await shared->transferGate->acquire(shared->cancel);
    if (!admitted) {
      for (auto* w : writers) w->fail(makeError(ErrorCode::kCancelled, "cancelled"));
      co_return;
    }
    pass = async::GatePass(shared->transferGate);
  }
  if (writers.size() == 1) {
    SourceStream source(shared, srcRepo, desc);
    auto st = co_await writeFrom(writers[0]->ctx, source, writers[0]->dstRepo, writers[0]->stats);
    writers[0]->fail(std::move(st));
    co_return;
  }
  // Room for a few writer pieces: a writer double-buffers, so it may hold two while it sends.
  BlobTee tee(shared, srcRepo, desc, 4 * shared->limits.bufferSize);
  std::vector<std::unique_ptr<endpoint::BlobFeed>> feeds;
  for (std::size_t i = 0; i < writers.size(); ++i) feeds.push_back(tee.feed());  // all before any reads
  async::TaskGroup writing(shared->source->executor());
  for (std::size_t i = 0; i < writers.size(); ++i) writing.spawn(writeAt(writers[i], std::move(feeds[i])));
  co_await writing.wait();
}

}  // namespace autonomy::copy
