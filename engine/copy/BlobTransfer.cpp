#include "engine/copy/BlobTransfer.hpp"

#include "engine/endpoint/FailureBudget.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

// The source side of one blob: a read that, when it breaks, reopens from the byte it had
// reached, so bytes already read are never fetched again.
class SourceStream final : public endpoint::BlobFeed {
 public:
  SourceStream(CopyContext* ctx, std::string repo, const oci::Descriptor& desc)
      : ctx_(ctx),
        repo_(std::move(repo)),
        desc_(desc),
        what_("copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)"),
        budget_(ctx->limits.maxStalls) {}

  const oci::Descriptor& descriptor() const override { return desc_; }
  std::uint64_t offset() const override { return offset_; }
  void seek(std::uint64_t offset) override {
    reader_.reset();
    offset_ = offset;
  }
  std::string origin() const override { return ctx_->source->name() + "/" + repo_; }

  Task<Status> fill(char* data, std::size_t want) override {
    std::size_t filled = 0;
    while (filled < want) {
      if (!reader_) {
        auto opened = co_await open();
        if (!opened) co_return opened;
        continue;
      }
      auto n = co_await reader_->read(data + filled, want - filled);
      if (!n) {
        reader_.reset();
        if (!n.error().transient || !budget_.spend(offset_)) co_return n.error().context(what_);
        continue;  // reopen at offset_: what was read stays read
      }
      if (*n == 0) co_return makeError(ErrorCode::kIntegrity, what_ + ": the source ended the blob early");
      filled += *n;
      offset_ += *n;
    }
    co_return Status{};
  }

  Task<bool> hasExtraBytes() override {
    if (!reader_) co_return false;
    char probe[1];
    auto extra = co_await reader_->read(probe, sizeof probe);
    co_return extra&&* extra > 0;
  }

 private:
  Task<Status> open() {
    while (true) {
      if (ctx_->cancel && ctx_->cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what_ + ": cancelled");
      auto r = co_await ctx_->source->openBlob(repo_, desc_.digest, offset_, ctx_->cancel);
      if (!r) {
        if (!r.error().transient || !budget_.spend(offset_)) co_return r.error().context(what_);
        continue;
      }
      if ((*r)->length() != desc_.size - offset_)
        co_return makeError(ErrorCode::kIntegrity, what_ + ": the source sends " + std::to_string((*r)->length()) +
                                                       " bytes from offset " + std::to_string(offset_) +
                                                       " but the manifest says the blob has " +
                                                       std::to_string(desc_.size));
      reader_ = std::move(*r);
      co_return Status{};
    }
  }

  CopyContext* ctx_;
  std::string repo_;
  oci::Descriptor desc_;
  std::string what_;
  endpoint::FailureBudget budget_;
  std::unique_ptr<endpoint::BlobStream> reader_;
  std::uint64_t offset_ = 0;
};

Task<Status> writeFromSource(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                             CopyStats* stats) {
  SourceStream source(ctx, srcRepo, desc);
  endpoint::WriteOptions options;
  options.chunkSize = ctx->limits.chunkSize;
  options.bufferSize = ctx->limits.bufferSize;
  options.maxStalls = ctx->limits.maxStalls;
  options.cancel = ctx->cancel;
  options.sent = [ctx, stats, dstRepo, digest = desc.digest](std::uint64_t n) {
    stats->bytesSent += n;
    if (ctx->progress) ctx->progress->bytesSent(dstRepo, digest, n);
  };
  co_return co_await ctx->dest->writeBlob(dstRepo, source, std::move(options));
}

}  // namespace

Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                        CopyStats* stats) {
  auto& ledger = *ctx->ledger;
  bool declined = false;  // the destination declined a mount (and may have opened a write for it)
  while (true) {
    if (ledger.holds(desc.digest, dstRepo)) {
      if (declined) co_await ctx->dest->dropDeclinedMount(dstRepo, desc.digest);
      ++stats->blobsPresent;
      stats->bytesPresent += desc.size;
      co_return Status{};
    }
    // Another repo of this run holds it at B: mount it without the claim. Mounts of one blob
    // into many repos go out at once; only uploads of it are one at a time.
    if (auto from = ledger.holder(desc.digest, dstRepo); from && !declined) {
      auto mounted = co_await ctx->dest->mountBlob(dstRepo, desc.digest, *from, ctx->cancel);
      if (!mounted) co_return mounted.error();
      if (*mounted) {
        ledger.record(desc.digest, dstRepo);
        ++stats->blobsMounted;
        co_return Status{};
      }
      declined = true;
    }
    if (co_await ledger.claim(desc.digest)) break;
  }
  struct Release {
    BlobLedger* l;
    oci::Digest d;
    ~Release() { l->release(d); }
  } release{&ledger, desc.digest};

  // The claim is granted without suspending, so no holder appeared since the loop looked: either
  // the destination declined a mount, or nobody in this run has it.
  if (!declined) {
    auto exists = co_await ctx->dest->blobExists(dstRepo, desc.digest, ctx->cancel);
    if (!exists) co_return exists.error();
    if (*exists) {
      ledger.record(desc.digest, dstRepo);
      ++stats->blobsPresent;
      stats->bytesPresent += desc.size;
      co_return Status{};
    }
  }
  async::GatePass pass;
  if (ctx->transferGate) {
    if (!co_await ctx->transferGate->acquire(ctx->cancel)) co_return makeError(ErrorCode::kCancelled, "cancelled");
    pass = async::GatePass(ctx->transferGate);
  }
  if (ctx->progress) ctx->progress->blobStarted(dstRepo, desc.digest, desc.size);
  auto st = co_await writeFromSource(ctx, srcRepo, dstRepo, desc, stats);
  if (!st) co_return st;
  ++stats->blobsCopied;
  ledger.record(desc.digest, dstRepo);
  co_return Status{};
}

}  // namespace autonomy::copy
