#pragma once
// A registry as an endpoint: the distribution API through RegistryClient, blobs written as
// chunked upload sessions that survive drops (and, with a journal, restarts), mounts between repos.
#include <map>
#include <utility>

#include "engine/core/Sha256.hpp"
#include "engine/endpoint/Endpoint.hpp"
#include "engine/endpoint/UploadJournal.hpp"

namespace autonomy::endpoint {

class RegistryEndpoint final : public Endpoint {
 public:
  RegistryEndpoint(registry::ConnectionPool& pool, registry::RegistrySettings settings);

  // The daemon's: upload sessions outlive a crash. Null: none.
  void setJournal(UploadJournal* journal) { journal_ = journal; }
  registry::RegistryClient& client() { return client_; }

  const std::string& name() const override { return client_.host(); }
  boost::asio::any_io_executor executor() const override { return client_.executor(); }
  std::size_t parallelism() const override { return parallelism_; }
  Task<Result<ManifestInfo>> headManifest(std::string repo, std::string reference, CancelTokenPtr cancel) override;
  Task<Result<FetchedManifest>> getManifest(std::string repo, std::string reference, CancelTokenPtr cancel) override;
  Task<Status> putManifest(std::string repo, std::string reference, std::string bytes, std::string mediaType,
                           CancelTokenPtr cancel) override;
  Task<Result<TagListing>> listTags(std::string repo, CancelTokenPtr cancel) override;
  Task<Result<std::optional<std::string>>> getReferrers(std::string repo, oci::Digest digest,
                                                        CancelTokenPtr cancel) override;
  Task<Result<bool>> blobExists(std::string repo, oci::Digest digest, CancelTokenPtr cancel) override;
  Task<Result<std::string>> getBlob(std::string repo, oci::Digest digest, std::size_t limit,
                                    CancelTokenPtr cancel) override;
  Task<Result<std::unique_ptr<BlobStream>>> openBlob(std::string repo, oci::Digest digest, std::uint64_t offset,
                                                     CancelTokenPtr cancel) override;
  Task<Result<bool>> mountBlob(std::string repo, oci::Digest digest, std::string fromRepo,
                               CancelTokenPtr cancel) override;
  Task<Status> writeBlob(std::string repo, BlobFeed& feed, WriteOptions options) override;
  Task<void> dropDeclinedMount(std::string repo, oci::Digest digest) override;

 private:
  struct Upload;
  Task<std::optional<Upload>> recordedSession(const std::string& repo, const oci::Descriptor& desc,
                                              CancelTokenPtr cancel);
  Task<Status> sendChunk(const std::string& repo, BlobFeed& feed, Upload& up, std::uint64_t len, Sha256& hash,
                         std::vector<char>& buffers, const WriteOptions& options);
  Task<Status> stream(const std::string& repo, BlobFeed& feed, Upload up, const WriteOptions& options);

  std::size_t parallelism_;
  registry::RegistryClient client_;
  UploadJournal* journal_ = nullptr;
  // Upload sessions the registry opened when it declined a mount: the blob's write uses them.
  std::map<std::pair<std::string, oci::Digest>, registry::Url> declined_;
};

}  // namespace autonomy::endpoint
