#pragma once
// Where images are read from and written to: a registry, an OCI image layout directory or an
// OCI archive. The copier sees only this interface; which kind it has is known here alone.
// Repos and references are the registry's: a layout keeps `repo:tag` as its ref names.
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/core/CancelToken.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/oci/Manifest.hpp"
#include "engine/registry/RegistryClient.hpp"

namespace autonomy::endpoint {

template <typename T>
using Task = registry::Task<T>;
using registry::FetchedManifest;
using registry::ManifestInfo;
using registry::TagListing;

class UploadJournal;

// The body of one blob read, in order; holds what it reads from until destroyed.
class BlobStream {
 public:
  virtual ~BlobStream() = default;
  virtual std::uint64_t length() const = 0;  // bytes this read will deliver
  virtual Task<Result<std::size_t>> read(char* buf, std::size_t size) = 0;
};

// The source side of one blob as the copier feeds it to a destination: exactly the bytes asked
// for, reopened where it broke; seek() after the destination lost bytes it had been given.
class BlobFeed {
 public:
  virtual ~BlobFeed() = default;
  virtual const oci::Descriptor& descriptor() const = 0;
  virtual std::uint64_t offset() const = 0;
  virtual void seek(std::uint64_t offset) = 0;
  virtual Task<Status> fill(char* data, std::size_t want) = 0;
  // After the last byte: true when the source has more than the descriptor says (corrupt).
  virtual Task<bool> hasExtraBytes() = 0;
  // Where the bytes come from, for messages ("127.0.0.1:5000/app").
  virtual std::string origin() const = 0;
};

struct WriteOptions {
  std::uint64_t chunkSize = 32ull << 20;  // a registry upload's PATCH; a drop loses at most this
  std::size_t bufferSize = 256u << 10;
  int maxStalls = 8;
  std::function<void(std::uint64_t)> sent;  // bytes handed to the destination
  CancelTokenPtr cancel;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // For records and messages: a registry's host, `oci:DIR`, `oci-archive:FILE`.
  virtual const std::string& name() const = 0;
  virtual boost::asio::any_io_executor executor() const = 0;
  // Blob streams this endpoint takes at once (a registry: its connection limit).
  virtual std::size_t parallelism() const = 0;

  virtual Task<Result<ManifestInfo>> headManifest(std::string repo, std::string reference, CancelTokenPtr cancel) = 0;
  // Digest-checked: what comes back hashes to the digest asked for or the one the tag names.
  virtual Task<Result<FetchedManifest>> getManifest(std::string repo, std::string reference, CancelTokenPtr cancel) = 0;
  virtual Task<Status> putManifest(std::string repo, std::string reference, std::string bytes, std::string mediaType,
                                   CancelTokenPtr cancel) = 0;
  virtual Task<Result<TagListing>> listTags(std::string repo, CancelTokenPtr cancel) = 0;
  // The OCI 1.1 referrers index of digest; nullopt where there is no referrers API.
  virtual Task<Result<std::optional<std::string>>> getReferrers(std::string repo, oci::Digest digest,
                                                                CancelTokenPtr cancel) = 0;

  virtual Task<Result<bool>> blobExists(std::string repo, oci::Digest digest, CancelTokenPtr cancel) = 0;
  // Small blobs only (signature payloads, sidecar documents); digest-checked.
  virtual Task<Result<std::string>> getBlob(std::string repo, oci::Digest digest, std::size_t limit,
                                            CancelTokenPtr cancel) = 0;
  virtual Task<Result<std::unique_ptr<BlobStream>>> openBlob(std::string repo, oci::Digest digest, std::uint64_t offset,
                                                             CancelTokenPtr cancel) = 0;
  // Makes a blob that `fromRepo` holds here present in `repo` too, without sending it; false
  // when this endpoint declined (the blob must then be written).
  virtual Task<Result<bool>> mountBlob(std::string repo, oci::Digest digest, std::string fromRepo,
                                       CancelTokenPtr cancel) = 0;
  // Writes the blob from `feed`, checked against its descriptor before it is committed: a blob
  // that does not hash to its digest is never visible here.
  virtual Task<Status> writeBlob(std::string repo, BlobFeed& feed, WriteOptions options) = 0;
  // After the run, when it was not interrupted: an archive is packed and renamed into place.
  virtual Task<Status> finish(CancelTokenPtr /*cancel*/) { co_return Status{}; }
  // A declined mount that will not be followed by a write (the blob turned up after all).
  virtual Task<void> dropDeclinedMount(std::string /*repo*/, oci::Digest /*digest*/) { co_return; }
};

}  // namespace autonomy::endpoint
