#include "engine/copy/BlobTransfer.hpp"

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

// Streams one PATCH of `len` bytes from reader to the upload; updates `hash` as bytes pass.
Task<Status> sendChunk(CopyContext* ctx, std::string dstRepo, registry::BlobReader* reader, Upload* up,
                       std::uint64_t len, Sha256* hash, std::vector<char>* buffer, CopyStats* stats) {
  auto writer = co_await ctx->dest->beginChunk(dstRepo, up->location, up->committed, len, ctx->cancel);
  if (!writer) co_return writer.error();
  std::uint64_t sent = 0;
  while (sent < len) {
    // Fill the buffer before writing: reads arrive in small pieces, writes should not.
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer->size(), len - sent));
    std::size_t filled = 0;
    while (filled < want) {
      auto n = co_await reader->read(buffer->data() + filled, want - filled);
      if (!n) {
        (*writer)->discard();
        co_return n.error();
      }
      if (*n == 0) {
        (*writer)->discard();
        co_return makeError(ErrorCode::kIntegrity, "source ended the blob early");
      }
      filled += *n;
    }
    hash->update(buffer->data(), filled);
    if (auto st = co_await (*writer)->write(buffer->data(), filled); !st) co_return st.error();
    sent += filled;
    stats->bytesSent += filled;
    if (ctx->progress) ctx->progress->bytesSent(dstRepo, filled);
  }
  auto next = co_await (*writer)->finish();
  if (!next) co_return next.error();
  up->location = *next;
  up->committed += len;
  up->hashAtCommitted = hash->clone();
  co_return Status{};
}

// After a failed chunk: can the registry's session continue from what it acknowledged?
Task<bool> sessionStillAt(CopyContext* ctx, std::string dstRepo, Upload* up) {
  auto size = co_await ctx->dest->uploadedSize(dstRepo, up->location, ctx->cancel);
  co_return size && *size == up->committed;
}

Task<Status> streamBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc, Url location,
                        CopyStats* stats) {
  std::vector<char> buffer(ctx->limits.bufferSize);
  Upload up{location, 0, Sha256()};
  const std::string what = "copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)";
  int stalls = 0;
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
                                                       " but the manifest says the blob has " + std::to_string(desc.size));
      hash = up.hashAtCommitted.clone();
    }
    const auto len = std::min(ctx->limits.chunkSize, desc.size - up.committed);
    auto st = co_await sendChunk(ctx, dstRepo, reader.get(), &up, len, &hash, &buffer, stats);
    if (st) {
      stalls = 0;
      continue;
    }
    reader.reset();
    if (!st.error().transient || ++stalls > ctx->limits.maxStalls) {
      co_await ctx->dest->abortUpload(dstRepo, up.location);
      co_return st.error().context(what);
    }
    // Resume where the registry's session stands; a session that cannot go on starts over.
    if (!co_await sessionStillAt(ctx, dstRepo, &up)) {
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
    if (!co_await ctx->transferGate->acquire()) co_return makeError(ErrorCode::kCancelled, "cancelled");
    pass = registry::GatePass(ctx->transferGate);
  }
  if (ctx->progress) ctx->progress->blobStarted(dstRepo, desc.digest, desc.size);
  auto st = co_await streamBlob(ctx, srcRepo, dstRepo, desc, location, stats);
  if (!st) co_return st;
  ledger.record(desc.digest, dstRepo);
  co_return Status{};
}

}  // namespace autonomy::copy
