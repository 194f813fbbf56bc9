#pragma once
// An OCI image layout directory (image-spec "image-layout"): blobs/sha256/<hex>, oci-layout and
// index.json. Tags are index.json entries annotated with org.opencontainers.image.ref.name, the
// form `skopeo copy oci:<dir>:<tag>` resolves.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"

namespace autonomy::testing {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct BlobRef {
  oci::Digest digest;
  std::uint64_t size = 0;
  std::string mediaType;  // empty when the writer did not know it
};

struct LayoutEntry {
  std::string tag;
  std::string mediaType;
  oci::Digest digest;
  std::uint64_t size = 0;
};

class OciLayout {
 public:
  // Creates the directory (and its parents) or reopens an existing layout, keeping its tags.
  static Result<OciLayout> open(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path blobPath(const oci::Digest& digest) const;
  bool hasBlob(const oci::Digest& digest) const;

  // Stores bytes under their sha256; writing the same bytes twice is a no-op.
  Result<BlobRef> putBlob(std::string_view bytes, std::string mediaType = "");
  Result<std::string> readBlob(const oci::Digest& digest) const;

  // A fresh file name inside the layout for blobs that are written as a stream and then
  // adopted under their digest (large layers never sit in memory).
  std::filesystem::path newTempPath();
  Status adoptBlob(const std::filesystem::path& tempPath, const oci::Digest& digest);

  // Points the tag at a manifest or index already stored as a blob (moving an existing tag) and
  // rewrites index.json atomically.
  Status tag(std::string_view tag, std::string_view mediaType, const oci::Digest& digest, std::uint64_t size);
  const std::vector<LayoutEntry>& entries() const { return entries_; }

  // "oci:<dir>:<tag>", the skopeo source name.
  std::string skopeoReference(std::string_view tag) const;

 private:
  explicit OciLayout(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status loadIndex();
  Status writeIndex() const;

  std::filesystem::path dir_;
  std::vector<LayoutEntry> entries_;
  std::uint64_t tempCounter_ = 0;
};

}  // namespace autonomy::testing
