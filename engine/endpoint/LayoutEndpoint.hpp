#pragma once
// An OCI image layout directory (image-spec image-layout: `oci-layout`, `index.json`,
// `blobs/sha256/`) as an endpoint. Several repos share one layout: blobs are stored once, and
// each tag is an index.json entry whose `org.opencontainers.image.ref.name` is `repo:tag`, so
// `skopeo copy oci:DIR:repo:tag ...` reads it. Signatures and sidecars are tags like any other
// (`repo:sha256-<hex>.sig`); a layout has no referrers API, so referrers travel in the fallback
// index tag (`repo:sha256-<hex>`).
//
// Written blobs go to a temporary name and are renamed once their digest checks; index.json is
// replaced whole after the content it names: a tag in the layout never names missing content.
// Everything read from a layout is checked against its digest: the layout is not trusted.
//
// An OCI archive is such a layout in a tar. It is read in place (headers scanned, blobs read at
// their offsets, nothing extracted). It is written as a layout in `<FILE>.partial.d/` beside it,
// packed into `<FILE>.partial` when the run ends and renamed to FILE only when complete: an
// interrupted export never leaves a file that looks whole, and running it again continues.
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "engine/endpoint/Endpoint.hpp"
#include "engine/endpoint/EndpointKind.hpp"
#include "engine/endpoint/Tar.hpp"

namespace autonomy::endpoint {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
// On index.json of a layout that leaves out blobs the far side holds (see leaveOut()).
inline constexpr const char* kPartialAnnotation = "org.autonomy-syncd.layout.partial";
inline constexpr const char* kPartialFile = "autonomy-partial.json";

class LayoutEndpoint final : public Endpoint {
 public:
  // Reads an existing layout; a directory that is not one is a clear error.
  static Result<std::unique_ptr<LayoutEndpoint>> open(boost::asio::any_io_executor executor, std::filesystem::path dir);
  // Opens a layout for writing, creating it (and the directory) when absent; an existing
  // layout keeps what it holds and gains what is written.
  static Result<std::unique_ptr<LayoutEndpoint>> create(boost::asio::any_io_executor executor,
                                                        std::filesystem::path dir);
  // An OCI archive to read; truncated or corrupt is a clear error here, before any copy.
  static Result<std::unique_ptr<LayoutEndpoint>> openArchive(boost::asio::any_io_executor executor,
                                                             std::filesystem::path file);
  // An OCI archive to write (FILE must not exist yet; an interrupted earlier export's staging
  // directory is reused).
  static Result<std::unique_ptr<LayoutEndpoint>> createArchive(boost::asio::any_io_executor executor,
                                                               std::filesystem::path file);
  // One of the four above by kind (a layout or an archive) and role, for the front ends.
  static Result<std::unique_ptr<LayoutEndpoint>> forEnd(boost::asio::any_io_executor executor, EndpointKind kind,
                                                        std::filesystem::path where, bool source);

  const std::string& name() const override { return name_; }
  boost::asio::any_io_executor executor() const override { return executor_; }
  std::size_t parallelism() const override { return 4; }
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
  Task<Status> finish(CancelTokenPtr cancel) override;

  // The sneakernet delta: blobs `heldBy` already holds, per repo (`sync --have`). They count as
  // present and are not written; the layout records them in autonomy-partial.json and marks
  // index.json partial, so an import knows they must already be at its destination.
  void leaveOut(std::map<std::string, std::set<oci::Digest>> held, std::string heldBy);

  // The index as it stands (for tests).
  struct Entry {
    std::string refName;  // repo:tag
    std::string mediaType;
    oci::Digest digest;
    std::uint64_t size = 0;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  LayoutEndpoint(boost::asio::any_io_executor executor, std::filesystem::path dir, std::string name);
  Status load();
  Status initialize();
  // A file of the layout by its relative name, from the directory or the archive.
  std::optional<std::uint64_t> storedSize(const std::string& rel) const;
  Result<std::string> readStored(const std::string& rel, std::size_t limit) const;
  Result<std::unique_ptr<BlobStream>> openStored(const std::string& rel, std::uint64_t offset) const;
  Status pack() const;
  Status savePartial() const;
  Status loadPartial();
  Status saveIndex() const;
  std::filesystem::path blobPath(const oci::Digest& d) const;
  static std::string blobName(const oci::Digest& d) { return "blobs/sha256/" + d.hex(); }
  // A stored blob's bytes, at most `limit`, checked against its digest.
  Result<std::string> readChecked(const oci::Digest& d, std::size_t limit, std::string_view what) const;
  Result<ManifestInfo> resolve(const std::string& repo, const std::string& reference) const;
  Result<FetchedManifest> manifestByDigest(const std::string& reference) const;
  Status writeStored(const oci::Digest& d, std::string_view bytes) const;

  boost::asio::any_io_executor executor_;
  std::filesystem::path dir_;
  std::string name_;
  std::vector<Entry> entries_;
  std::map<std::string, std::size_t> byRef_;  // refName -> entries_ index
  std::uint64_t tempCounter_ = 0;
  std::filesystem::path archive_;                        // the archive read, or to be written
  std::optional<std::map<std::string, TarMember>> tar_;  // reading an archive: where each file sits
  std::map<std::string, std::set<oci::Digest>> held_;    // --have: at the far side already
  std::string heldBy_;
  std::map<std::string, std::set<oci::Digest>> leftOut_;
};

}  // namespace autonomy::endpoint
