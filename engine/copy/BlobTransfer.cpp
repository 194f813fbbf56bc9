#include "engine/copy/BlobTransfer.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <vector>

#include "engine/core/Sha256.hpp"

namespace autonomy::copy {

using registry::Task;
using registry::Url;

namespace {

struct Upload {
  Url location;
  std::uint64_t committed = 0;  // bytes the registry has acknowledged
  Sha256 hashAtCommitted;       // hash of exactly those bytes
};

// Reads exactly `want` bytes (reads arrive in small pieces; writes should not).
Task<Status> fill(registry::BlobReader* reader, char* data, std::size_t want) {
  std::size_t filled = 0;
  while (filled < want) {
    auto n = co_await reader->read(data + filled, want - filled);
    if (!n) co_return n.error();
    if (*n == 0) co_return makeError(ErrorCode::kIntegrity, "source ended the blob early");
    filled += *n;
  }
  co_return Status{};
}

Task<Status> drain(registry::BlobWriter* writer, const char* data, std::size_t size) {
  co_return co_await writer->write(data, size);
}

// Streams one PATCH of `len` bytes from reader to the upload; updates `hash` as bytes pass.
// Two buffers: the next one fills from the source while the last one goes to the destination.
Task<Status> sendChunk(CopyContext* ctx, std::string dstRepo, registry::BlobReader* reader, Upload* up,
                       std::uint64_t len, Sha256* hash, std::vector<char>* buffers, CopyStats* stats) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto writer = co_await ctx->dest->beginChunk(dstRepo, up->location, up->committed, len, ctx->cancel);
  if (!writer) co_return writer.error();
  const std::size_t half = buffers->size() / 2;
  char* current = buffers->data();
  char* next = buffers->data() + half;
  auto piece = [&](std::uint64_t from) { return static_cast<std::size_t>(std::min<std::uint64_t>(half, len - from)); };
  std::size_t size = piece(0);
  if (auto st = co_await fill(reader, current, size); !st) {
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
      auto both = co_await (drain(writer->get(), current, size) && fill(reader, next, nextSize));
      wrote = std::move(std::get<0>(both));
      read = std::move(std::get<1>(both));
    } else {
      wrote = co_await drain(writer->get(), current, size);
    }
    if (!wrote) co_return wrote.error();
    sent = after;
    stats->bytesSent += size;
    if (ctx->progress) ctx->progress->bytesSent(dstRepo, size);
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

Task<Status> streamBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc, Url location,
                        CopyStats* stats) {
  std::vector<char> buffer(2 * ctx->limits.bufferSize);  // double-buffered
  Upload up{location, 0, Sha256()};
  const std::string what = "copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)";
  int stalls = 0;  // failed attempts for this blob, progress or not: a flaky link cannot loop forever
  std::unique_ptr<registry::BlobReader> reader;
  Sha256 hash;
  while (up.committed < desc.size) {
    if (ctx->cancel && ctx->cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what + ": cancelled");
    if (!reader) {
      auto r = co_await ctx->source->openBlob(srcRepo, desc.digest, up.committed, ctx->cancel);
      if (!r) {
        if (!r.error().transient || ++stalls > ctx->limits.maxStalls) co_return r.error().context(what);
        continue;
      }
      reader = std::move(*r);
      if (reader->length() != desc.size - up.committed)
        co_return makeError(ErrorCode::kIntegrity, what + ": the source sends " + std::to_string(reader->length()) +
                                                       " bytes from offset " + std::to_string(up.committed) +
                                                       " but the manifest says the blob has " +
                                                       std::to_string(desc.size));
      hash = up.hashAtCommitted.clone();
    }
    const auto len = std::min(ctx->limits.chunkSize, desc.size - up.committed);
    auto st = co_await sendChunk(ctx, dstRepo, reader.get(), &up, len, &hash, &buffer, stats);
    if (st) continue;
    reader.reset();
    if (!st.error().transient || ++stalls > ctx->limits.maxStalls) {
      co_await ctx->dest->abortUpload(dstRepo, up.location);
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
  if (reader) {
    char probe[1];
    auto extra = co_await reader->read(probe, sizeof probe);
    if (extra && *extra > 0) {
      co_await ctx->dest->abortUpload(dstRepo, up.location);
      co_return makeError(ErrorCode::kIntegrity, what + ": the source sent more bytes than the manifest says");
    }
  }
  Sha256 final = up.hashAtCommitted.clone();
  const auto got = final.hexDigest();
  if (got != desc.digest.hex()) {
    co_await ctx->dest->abortUpload(dstRepo, up.location);
    co_return makeError(ErrorCode::kIntegrity, what + " from " + ctx->source->host() + "/" + srcRepo +
                                                   ": its bytes hash to sha256:" + got +
                                                   "; the source registry's copy is corrupt, nothing was committed");
  }
  auto commit = co_await ctx->dest->commitUpload(dstRepo, up.location, desc.digest, ctx->cancel);
  if (!commit) co_return commit.error().context(what);
  ++stats->blobsCopied;
  co_return Status{};
}

}  // namespace

Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                        CopyStats* stats) {
  auto& ledger = *ctx->ledger;
  while (true) {
    if (ledger.holds(desc.digest, dstRepo)) {
      ++stats->blobsPresent;
      co_return Status{};
    }
    if (co_await ledger.claim(desc.digest)) break;
  }
  struct Release {
    BlobLedger* l;
    oci::Digest d;
    ~Release() { l->release(d); }
  } release{&ledger, desc.digest};

  Url location;
  bool haveSession = false;
  if (auto from = ledger.holder(desc.digest, dstRepo)) {
    auto mounted = co_await ctx->dest->mountBlob(dstRepo, desc.digest, *from, &location, ctx->cancel);
    if (!mounted) co_return mounted.error();
    if (*mounted) {
      ledger.record(desc.digest, dstRepo);
      ++stats->blobsMounted;
      co_return Status{};
    }
    haveSession = true;  // the registry declined the mount but opened an upload for us
  } else {
    auto exists = co_await ctx->dest->blobExists(dstRepo, desc.digest, ctx->cancel);
    if (!exists) co_return exists.error();
    if (*exists) {
      ledger.record(desc.digest, dstRepo);
      ++stats->blobsPresent;
      co_return Status{};
    }
  }
  if (!haveSession) {
    auto started = co_await ctx->dest->startUpload(dstRepo, ctx->cancel);
    if (!started) co_return started.error();
    location = *started;
  }
  registry::GatePass pass;
  if (ctx->transferGate) {
    if (!co_await ctx->transferGate->acquire(ctx->cancel)) co_return makeError(ErrorCode::kCancelled, "cancelled");
    pass = registry::GatePass(ctx->transferGate);
  }
  if (ctx->progress) ctx->progress->blobStarted(dstRepo, desc.digest, desc.size);
  auto st = co_await streamBlob(ctx, srcRepo, dstRepo, desc, location, stats);
  if (!st) co_return st;
  ledger.record(desc.digest, dstRepo);
  co_return Status{};
}

}  // namespace autonomy::copy
