#include "engine/endpoint/RegistryEndpoint.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "engine/core/Failpoint.hpp"
#include "engine/endpoint/FailureBudget.hpp"

namespace autonomy::endpoint {

using registry::Url;

namespace {

class RegistryBlobStream final : public BlobStream {
 public:
  explicit RegistryBlobStream(std::unique_ptr<registry::BlobReader> reader) : reader_(std::move(reader)) {}
  std::uint64_t length() const override { return reader_->length(); }
  Task<Result<std::size_t>> read(char* buf, std::size_t size) override { co_return co_await reader_->read(buf, size); }

 private:
  std::unique_ptr<registry::BlobReader> reader_;
};

Task<Status> drain(registry::BlobWriter* writer, const char* data, std::size_t size) {
  co_return co_await writer->write(data, size);
}

Task<Status> fillFrom(BlobFeed* feed, char* data, std::size_t size) { co_return co_await feed->fill(data, size); }

// Hashes the first `upTo` bytes from the source: a resumed upload's hash must cover what the
// registry already holds. Reading them again is cheap next to sending them again.
Task<Status> hashPrefix(BlobFeed& feed, std::uint64_t upTo, std::vector<char>& buffer, Sha256& hash) {
  while (feed.offset() < upTo) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), upTo - feed.offset()));
    if (auto st = co_await feed.fill(buffer.data(), n); !st) co_return st;
    hash.update(buffer.data(), n);
  }
  co_return Status{};
}

}  // namespace

struct RegistryEndpoint::Upload {
  Url location;
  std::uint64_t committed = 0;  // bytes the registry has acknowledged
  Sha256 hashAtCommitted;       // hash of exactly those bytes
};

RegistryEndpoint::RegistryEndpoint(registry::ConnectionPool& pool, registry::RegistrySettings settings)
    : parallelism_(std::max<std::size_t>(1, settings.maxConnections)), client_(pool, std::move(settings)) {}

Task<Result<ManifestInfo>> RegistryEndpoint::headManifest(std::string repo, std::string reference,
                                                          CancelTokenPtr cancel) {
  co_return co_await client_.headManifest(std::move(repo), std::move(reference), std::move(cancel));
}

Task<Result<FetchedManifest>> RegistryEndpoint::getManifest(std::string repo, std::string reference,
                                                            CancelTokenPtr cancel) {
  co_return co_await client_.getManifest(std::move(repo), std::move(reference), std::move(cancel));
}

Task<Status> RegistryEndpoint::putManifest(std::string repo, std::string reference, std::string bytes,
                                           std::string mediaType, CancelTokenPtr cancel) {
  co_return co_await client_.putManifest(std::move(repo), std::move(reference), std::move(bytes), std::move(mediaType),
                                         std::move(cancel));
}

Task<Result<TagListing>> RegistryEndpoint::listTags(std::string repo, CancelTokenPtr cancel) {
  co_return co_await client_.listTags(std::move(repo), std::move(cancel));
}

Task<Result<std::optional<std::string>>> RegistryEndpoint::getReferrers(std::string repo, oci::Digest digest,
                                                                        CancelTokenPtr cancel) {
  co_return co_await client_.getReferrers(std::move(repo), std::move(digest), std::move(cancel));
}

Task<Result<bool>> RegistryEndpoint::blobExists(std::string repo, oci::Digest digest, CancelTokenPtr cancel) {
  co_return co_await client_.blobExists(std::move(repo), std::move(digest), std::move(cancel));
}

Task<Result<std::string>> RegistryEndpoint::getBlob(std::string repo, oci::Digest digest, std::size_t limit,
                                                    CancelTokenPtr cancel) {
  co_return co_await client_.getBlob(std::move(repo), std::move(digest), limit, std::move(cancel));
}

Task<Result<std::unique_ptr<BlobStream>>> RegistryEndpoint::openBlob(std::string repo, oci::Digest digest,
                                                                     std::uint64_t offset, CancelTokenPtr cancel) {
  auto r = co_await client_.openBlob(std::move(repo), std::move(digest), offset, std::move(cancel));
  if (!r) co_return r.error();
  co_return std::unique_ptr<BlobStream>(std::make_unique<RegistryBlobStream>(std::move(*r)));
}

Task<Result<bool>> RegistryEndpoint::mountBlob(std::string repo, oci::Digest digest, std::string fromRepo,
                                               CancelTokenPtr cancel) {
  Url location;
  auto mounted = co_await client_.mountBlob(repo, digest, std::move(fromRepo), &location, std::move(cancel));
  if (!mounted) co_return mounted.error();
  if (!*mounted) {
    // The registry opened an upload session instead; the write of this blob uses it.
    auto key = std::make_pair(std::move(repo), std::move(digest));
    if (auto old = declined_.find(key); old != declined_.end()) co_await client_.abortUpload(key.first, old->second);
    declined_[std::move(key)] = location;
  }
  co_return *mounted;
}

// An upload session an earlier process left for this blob: its URL and committed size when the
// registry still holds it there; otherwise it is deleted (it must not pile up at B) and forgotten.
Task<std::optional<RegistryEndpoint::Upload>> RegistryEndpoint::recordedSession(const std::string& repo,
                                                                                const oci::Descriptor& desc,
                                                                                CancelTokenPtr cancel) {
  if (!journal_) co_return std::nullopt;
  const auto mark = journal_->find(name(), repo, desc.digest);
  if (!mark) co_return std::nullopt;
  auto url = Url::parse(mark->location);
  if (!url) {
    journal_->forget(name(), repo, desc.digest);
    co_return std::nullopt;
  }
  auto size = co_await client_.uploadedSize(repo, *url, cancel);
  if (size && *size == mark->committed && mark->committed > 0 && mark->committed < desc.size)
    co_return Upload{*url, mark->committed, Sha256()};
  spdlog::info("{}/{}: the upload of {} an earlier run left is gone or moved; deleting it and starting over", name(),
               repo, desc.digest.shortStr());
  co_await client_.abortUpload(repo, *url);
  journal_->forget(name(), repo, desc.digest);
  co_return std::nullopt;
}

// Streams one PATCH of `len` bytes from the feed to the upload; updates `hash` as bytes pass.
// Two buffers: the next one fills from the source while the last one goes to the registry.
// A source that breaks mid-chunk is reopened at the same byte while the PATCH waits.
Task<Status> RegistryEndpoint::sendChunk(const std::string& repo, BlobFeed& feed, Upload& up, std::uint64_t len,
                                         Sha256& hash, std::vector<char>& buffers, const WriteOptions& options) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto writer = co_await client_.beginChunk(repo, up.location, up.committed, len, options.cancel);
  if (!writer) co_return writer.error();
  const std::size_t half = buffers.size() / 2;
  char* current = buffers.data();
  char* next = buffers.data() + half;
  auto piece = [&](std::uint64_t from) { return static_cast<std::size_t>(std::min<std::uint64_t>(half, len - from)); };
  std::size_t size = piece(0);
  if (auto st = co_await feed.fill(current, size); !st) {
    (*writer)->discard();
    co_return st.error();
  }
  std::uint64_t sent = 0;
  while (true) {
    hash.update(current, size);
    const std::uint64_t after = sent + size;
    const std::size_t nextSize = after < len ? piece(after) : 0;
    Status wrote;
    Status read;
    if (nextSize > 0) {
      auto both = co_await (drain(writer->get(), current, size) && fillFrom(&feed, next, nextSize));
      wrote = std::move(std::get<0>(both));
      read = std::move(std::get<1>(both));
    } else {
      wrote = co_await drain(writer->get(), current, size);
    }
    if (!wrote) co_return wrote.error();
    sent = after;
    if (options.sent) options.sent(size);
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
  up.location = *done;
  up.committed += len;
  up.hashAtCommitted = hash.clone();
  co_return Status{};
}

Task<Status> RegistryEndpoint::stream(const std::string& repo, BlobFeed& feed, Upload up, const WriteOptions& options) {
  const auto& desc = feed.descriptor();
  std::vector<char> buffer(2 * options.bufferSize);  // double-buffered
  const std::string what = "copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)";
  FailureBudget uploadBudget(options.maxStalls);  // progress here is bytes the registry has committed
  auto forget = [&] {
    if (journal_) journal_->forget(name(), repo, desc.digest);
  };
  if (up.committed > 0) {
    spdlog::info("{}/{}: resuming the upload of {} at byte {} of {}", name(), repo, desc.digest.shortStr(),
                 up.committed, desc.size);
    if (auto st = co_await hashPrefix(feed, up.committed, buffer, up.hashAtCommitted); !st) {
      co_await client_.abortUpload(repo, up.location);
      forget();
      co_return st;
    }
  }
  while (up.committed < desc.size) {
    if (options.cancel && options.cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what + ": cancelled");
    if (feed.offset() != up.committed) feed.seek(up.committed);
    Sha256 hash = up.hashAtCommitted.clone();
    const auto len = std::min(options.chunkSize, desc.size - up.committed);
    auto st = co_await sendChunk(repo, feed, up, len, hash, buffer, options);
    if (st) {
      if (journal_) journal_->record(name(), repo, desc.digest, {up.location.str(), up.committed});
      if (up.committed < desc.size && failpointActive("exit-mid-blob")) ::_exit(137);  // tests: crash here
      continue;
    }
    if (!st.error().transient || !uploadBudget.spend(up.committed)) {
      co_await client_.abortUpload(repo, up.location);
      forget();
      co_return st.error().context(what);
    }
    // Resume where the registry's session stands; a session that cannot go on starts over.
    auto size = co_await client_.uploadedSize(repo, up.location, options.cancel);
    if (!size || *size != up.committed) {
      co_await client_.abortUpload(repo, up.location);  // a dead session must not pile up at B
      auto fresh = co_await client_.startUpload(repo, options.cancel);
      if (!fresh) co_return fresh.error().context(what);
      up = Upload{*fresh, 0, Sha256()};
    }
  }
  if (co_await feed.hasExtraBytes()) {
    co_await client_.abortUpload(repo, up.location);
    forget();
    co_return makeError(ErrorCode::kIntegrity, what + ": the source sent more bytes than the manifest says");
  }
  Sha256 final = up.hashAtCommitted.clone();
  const auto got = final.hexDigest();
  if (got != desc.digest.hex()) {
    co_await client_.abortUpload(repo, up.location);
    forget();
    co_return makeError(ErrorCode::kIntegrity, what + " from " + feed.origin() + ": its bytes hash to sha256:" + got +
                                                   "; the source's copy is corrupt, nothing was committed");
  }
  auto commit = co_await client_.commitUpload(repo, up.location, desc.digest, options.cancel);
  if (!commit) co_return commit.error().context(what);
  forget();
  co_return Status{};
}

Task<void> RegistryEndpoint::dropDeclinedMount(std::string repo, oci::Digest digest) {
  auto it = declined_.find({repo, digest});
  if (it == declined_.end()) co_return;
  const Url location = it->second;
  declined_.erase(it);
  co_await client_.abortUpload(repo, location);
}

Task<Status> RegistryEndpoint::writeBlob(std::string repo, BlobFeed& feed, WriteOptions options) {
  const auto& desc = feed.descriptor();
  Upload up{Url{}, 0, Sha256()};
  if (auto it = declined_.find({repo, desc.digest}); it != declined_.end()) {
    up.location = it->second;
    declined_.erase(it);
  } else if (auto earlier = co_await recordedSession(repo, desc, options.cancel)) {
    up = std::move(*earlier);
  } else {
    auto started = co_await client_.startUpload(repo, options.cancel);
    if (!started) co_return started.error();
    up.location = *started;
  }
  co_return co_await stream(repo, feed, std::move(up), options);
}

}  // namespace autonomy::endpoint
