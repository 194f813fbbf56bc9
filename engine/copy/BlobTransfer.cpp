#include "engine/copy/BlobTransfer.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <vector>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "engine/core/Failpoint.hpp"
#include "engine/core/Sha256.hpp"

namespace autonomy::copy {

using registry::Task;
using registry::Url;

namespace {

// How many failed attempts a blob may take. A failure after real progress starts the count
// again, so a long blob over a link that drops every N MiB still gets through; failures that
// win nothing (the same bytes lost over and over) end the blob after `limit` tries.
class FailureBudget {
 public:
  explicit FailureBudget(int limit) : limit_(limit) {}
  // Records a failure at `mark` (bytes achieved so far); false once the budget is spent.
  bool spend(std::uint64_t mark) {
    if (mark >= best_ + kProgress) failures_ = 0;
    best_ = std::max(best_, mark);
    return ++failures_ <= limit_;
  }

 private:
  static constexpr std::uint64_t kProgress = 1u << 20;  // less than this since the last failure is no progress
  int limit_;
  int failures_ = 0;
  std::uint64_t best_ = 0;
};

// The source side of one blob: a GET that, when the connection breaks, reopens with a Range
// from the byte it had reached, so bytes already read are never fetched again.
class SourceStream {
 public:
  SourceStream(CopyContext* ctx, std::string repo, const oci::Descriptor& desc, const std::string& what)
      : ctx_(ctx), repo_(std::move(repo)), desc_(desc), what_(what), budget_(ctx->limits.maxStalls) {}
  const oci::Digest& digest() const { return desc_.digest; }

  std::uint64_t offset() const { return offset_; }
  // Next read starts at `offset` (after the destination lost bytes it had been sent).
  void seek(std::uint64_t offset) {
    reader_.reset();
    offset_ = offset;
  }

  // Exactly `want` bytes into data.
  Task<Status> fill(char* data, std::size_t want) {
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

  // After the last byte: a source that sends more than the manifest says is corrupt.
  Task<bool> hasExtraBytes() {
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
  FailureBudget budget_;
  std::unique_ptr<registry::BlobReader> reader_;
  std::uint64_t offset_ = 0;
};

struct Upload {
  Url location;
  std::uint64_t committed = 0;  // bytes the registry has acknowledged
  Sha256 hashAtCommitted;       // hash of exactly those bytes
};

Task<Status> drain(registry::BlobWriter* writer, const char* data, std::size_t size) {
  co_return co_await writer->write(data, size);
}

Task<Status> fillFrom(SourceStream* source, char* data, std::size_t size) {
  co_return co_await source->fill(data, size);
}

// Streams one PATCH of `len` bytes from the source to the upload; updates `hash` as bytes pass.
// Two buffers: the next one fills from the source while the last one goes to the destination.
// A source that breaks mid-chunk is reopened at the same byte while the PATCH waits.
Task<Status> sendChunk(CopyContext* ctx, std::string dstRepo, SourceStream* source, Upload* up, std::uint64_t len,
                       Sha256* hash, std::vector<char>* buffers, CopyStats* stats) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto writer = co_await ctx->dest->beginChunk(dstRepo, up->location, up->committed, len, ctx->cancel);
  if (!writer) co_return writer.error();
  const std::size_t half = buffers->size() / 2;
  char* current = buffers->data();
  char* next = buffers->data() + half;
  auto piece = [&](std::uint64_t from) { return static_cast<std::size_t>(std::min<std::uint64_t>(half, len - from)); };
  std::size_t size = piece(0);
  if (auto st = co_await source->fill(current, size); !st) {
    (*writer)->discard();
    co_return st.error();
  }
  std::uint64_t sent = 0;
  while (true) {
    hash->update(current, size);
    const std::uint64_t after = sent + size;
    const std::size_t nextSize = after < len ? piece(after) : 0;
    Status wrote;
    Status read;
    if (nextSize > 0) {
      auto both = co_await (drain(writer->get(), current, size) && fillFrom(source, next, nextSize));
      wrote = std::move(std::get<0>(both));
      read = std::move(std::get<1>(both));
    } else {
      wrote = co_await drain(writer->get(), current, size);
    }
    if (!wrote) co_return wrote.error();
    sent = after;
    stats->bytesSent += size;
    if (ctx->progress) ctx->progress->bytesSent(dstRepo, source->digest(), size);
    if (!read) {
      (*writer)->discard();
      co_return read.error();
    }
    if (nextSize == 0) break;
    std::swap(current, next);
    size = nextSize;
  }
  auto done = co_await (*writer)->finish();
  if (!done) co_return done.error();
  up->location = *done;
  up->committed += len;
  up->hashAtCommitted = hash->clone();
  co_return Status{};
}

// After a failed chunk: can the registry's session continue from what it acknowledged?
Task<bool> sessionStillAt(CopyContext* ctx, std::string dstRepo, Upload* up) {
  auto size = co_await ctx->dest->uploadedSize(dstRepo, up->location, ctx->cancel);
  co_return size&&* size == up->committed;
}

// The journal (when the run has one) remembers each committed chunk's session URL.
class JournalEntry {
 public:
  JournalEntry(CopyContext* ctx, const std::string& repo, const oci::Digest& digest)
      : ctx_(ctx), repo_(repo), digest_(digest) {}
  std::optional<UploadMark> find() const {
    return ctx_->uploads ? ctx_->uploads->find(ctx_->dest->host(), repo_, digest_) : std::nullopt;
  }
  void record(const Upload& up) const {
    if (ctx_->uploads) ctx_->uploads->record(ctx_->dest->host(), repo_, digest_, {up.location.str(), up.committed});
  }
  void forget() const {
    if (ctx_->uploads) ctx_->uploads->forget(ctx_->dest->host(), repo_, digest_);
  }

 private:
  CopyContext* ctx_;
  std::string repo_;
  oci::Digest digest_;
};

// An upload session an earlier process left for this blob: its URL and committed size when the
// registry still holds it there; otherwise it is deleted (it must not pile up at B) and forgotten.
Task<std::optional<Upload>> recordedSession(CopyContext* ctx, std::string dstRepo, oci::Descriptor desc) {
  const JournalEntry journal(ctx, dstRepo, desc.digest);
  const auto mark = journal.find();
  if (!mark) co_return std::nullopt;
  auto url = Url::parse(mark->location);
  if (!url) {
    journal.forget();
    co_return std::nullopt;
  }
  auto size = co_await ctx->dest->uploadedSize(dstRepo, *url, ctx->cancel);
  if (size && *size == mark->committed && mark->committed > 0 && mark->committed < desc.size)
    co_return Upload{*url, mark->committed, Sha256()};
  spdlog::info("{}/{}: the upload of {} an earlier run left is gone or moved; deleting it and starting over",
               ctx->dest->host(), dstRepo, desc.digest.shortStr());
  co_await ctx->dest->abortUpload(dstRepo, *url);
  journal.forget();
  co_return std::nullopt;
}

// Hashes the first `upTo` bytes from the source: a resumed upload's hash must cover what the
// registry already holds. Reading them again is cheap next to sending them again.
Task<Status> hashPrefix(SourceStream* source, std::uint64_t upTo, std::vector<char>* buffer, Sha256* hash) {
  while (source->offset() < upTo) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer->size(), upTo - source->offset()));
    if (auto st = co_await source->fill(buffer->data(), n); !st) co_return st;
    hash->update(buffer->data(), n);
  }
  co_return Status{};
}

Task<Status> streamBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc, Upload up,
                        CopyStats* stats) {
  std::vector<char> buffer(2 * ctx->limits.bufferSize);  // double-buffered
  const std::string what = "copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)";
  const JournalEntry journal(ctx, dstRepo, desc.digest);
  FailureBudget uploadBudget(ctx->limits.maxStalls);  // progress here is bytes B has committed
  SourceStream source(ctx, srcRepo, desc, what);
  if (up.committed > 0) {
    spdlog::info("{}/{}: resuming the upload of {} at byte {} of {}", ctx->dest->host(), dstRepo,
                 desc.digest.shortStr(), up.committed, desc.size);
    if (auto st = co_await hashPrefix(&source, up.committed, &buffer, &up.hashAtCommitted); !st) {
      co_await ctx->dest->abortUpload(dstRepo, up.location);
      journal.forget();
      co_return st;
    }
  }
  auto abandon = [&]() -> Task<void> {
    co_await ctx->dest->abortUpload(dstRepo, up.location);
    journal.forget();
  };
  while (up.committed < desc.size) {
    if (ctx->cancel && ctx->cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what + ": cancelled");
    if (source.offset() != up.committed) source.seek(up.committed);
    Sha256 hash = up.hashAtCommitted.clone();
    const auto len = std::min(ctx->limits.chunkSize, desc.size - up.committed);
    auto st = co_await sendChunk(ctx, dstRepo, &source, &up, len, &hash, &buffer, stats);
    if (st) {
      journal.record(up);
      if (up.committed < desc.size && failpointActive("exit-mid-blob")) ::_exit(137);  // tests: crash here
      continue;
    }
    if (!st.error().transient || !uploadBudget.spend(up.committed)) {
      co_await abandon();
      co_return st.error().context(what);
    }
    // Resume where the registry's session stands; a session that cannot go on starts over.
    if (!co_await sessionStillAt(ctx, dstRepo, &up)) {
      co_await ctx->dest->abortUpload(dstRepo, up.location);  // a dead session must not pile up at B
      auto fresh = co_await ctx->dest->startUpload(dstRepo, ctx->cancel);
      if (!fresh) co_return fresh.error().context(what);
      up = Upload{*fresh, 0, Sha256()};
    }
  }
  if (co_await source.hasExtraBytes()) {
    co_await abandon();
    co_return makeError(ErrorCode::kIntegrity, what + ": the source sent more bytes than the manifest says");
  }
  Sha256 final = up.hashAtCommitted.clone();
  const auto got = final.hexDigest();
  if (got != desc.digest.hex()) {
    co_await abandon();
    co_return makeError(ErrorCode::kIntegrity, what + " from " + ctx->source->host() + "/" + srcRepo +
                                                   ": its bytes hash to sha256:" + got +
                                                   "; the source registry's copy is corrupt, nothing was committed");
  }
  auto commit = co_await ctx->dest->commitUpload(dstRepo, up.location, desc.digest, ctx->cancel);
  if (!commit) co_return commit.error().context(what);
  journal.forget();
  ++stats->blobsCopied;
  co_return Status{};
}

}  // namespace

Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                        CopyStats* stats) {
  auto& ledger = *ctx->ledger;
  // An upload session the registry opened when it declined a mount (used once the claim is ours).
  std::optional<Url> declined;
  while (true) {
    if (ledger.holds(desc.digest, dstRepo)) {
      if (declined) co_await ctx->dest->abortUpload(dstRepo, *declined);
      ++stats->blobsPresent;
      co_return Status{};
    }
    // Another repo of this run holds it at B: mount it without the claim. Mounts of one blob
    // into many repos go out at once; only uploads of it are one at a time.
    if (auto from = ledger.holder(desc.digest, dstRepo); from && !declined) {
      Url location;
      auto mounted = co_await ctx->dest->mountBlob(dstRepo, desc.digest, *from, &location, ctx->cancel);
      if (!mounted) co_return mounted.error();
      if (*mounted) {
        ledger.record(desc.digest, dstRepo);
        ++stats->blobsMounted;
        co_return Status{};
      }
      declined = location;
    }
    if (co_await ledger.claim(desc.digest)) break;
  }
  struct Release {
    BlobLedger* l;
    oci::Digest d;
    ~Release() { l->release(d); }
  } release{&ledger, desc.digest};

  // The claim is granted without suspending, so no holder appeared since the loop looked: either
  // the registry declined a mount (and opened an upload for us), or nobody in this run has it.
  Url location;
  const bool haveSession = declined.has_value();
  if (declined) {
    location = *declined;
  } else {
    auto exists = co_await ctx->dest->blobExists(dstRepo, desc.digest, ctx->cancel);
    if (!exists) co_return exists.error();
    if (*exists) {
      ledger.record(desc.digest, dstRepo);
      ++stats->blobsPresent;
      co_return Status{};
    }
  }
  Upload up{location, 0, Sha256()};
  if (!haveSession) {
    auto earlier = co_await recordedSession(ctx, dstRepo, desc);
    if (earlier) {
      up = std::move(*earlier);
    } else {
      auto started = co_await ctx->dest->startUpload(dstRepo, ctx->cancel);
      if (!started) co_return started.error();
      up.location = *started;
    }
  }
  registry::GatePass pass;
  if (ctx->transferGate) {
    if (!co_await ctx->transferGate->acquire(ctx->cancel)) co_return makeError(ErrorCode::kCancelled, "cancelled");
    pass = registry::GatePass(ctx->transferGate);
  }
  if (ctx->progress) ctx->progress->blobStarted(dstRepo, desc.digest, desc.size);
  auto st = co_await streamBlob(ctx, srcRepo, dstRepo, desc, std::move(up), stats);
  if (!st) co_return st;
  ledger.record(desc.digest, dstRepo);
  co_return Status{};
}

}  // namespace autonomy::copy
