#pragma once
// Builds the content integration tests push: real single-platform images (seeded gzip layers, an
// OCI config with diff_ids, an OCI manifest), multi-platform indexes, OCI artifacts (optionally
// with a subject), referrers-style indexes, and raw manifests supplied as bytes (e.g. cosign .sig
// manifests from the test signer). Everything is written into one OciLayout; each call returns
// the exact manifest bytes, their digest and every blob they reference, so tests can assert
// byte-for-byte what a registry must hold. Same inputs => same digests.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "tests/support/images/LayerWriter.hpp"
#include "tests/support/images/OciLayout.hpp"

namespace autonomy::testing {

using Annotations = std::map<std::string, std::string>;

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;

  static Platform parse(std::string_view text);  // "linux/arm64/v8"
  std::string str() const;                       // the same form
};

struct ImageSpec {
  ImageSpec() = default;
  explicit ImageSpec(std::vector<LayerSpec> layerSpecs, Platform onPlatform = {})
      : layers(std::move(layerSpecs)), platform(std::move(onPlatform)) {}

  std::vector<LayerSpec> layers;  // reuse a LayerSpec across images/repos for a shared base layer
  Platform platform;
  std::map<std::string, std::string> labels;  // config.Labels: vary the config without new layers
  Annotations annotations;                    // manifest annotations
};

struct IndexSpec {
  std::vector<ImageSpec> images;  // one index entry each, with its platform
  Annotations annotations;
};

// An index of one image per platform ("linux/amd64", "linux/arm64", ...). Each platform gets the
// given layers with its seed mixed with the platform's position, so platforms have distinct
// layers yet the whole index is reproducible.
IndexSpec multiPlatformSpec(const std::vector<std::string>& platforms, const std::vector<LayerSpec>& layers);

struct ArtifactLayer {
  ArtifactLayer(std::string type, std::string content, Annotations notes = {})
      : mediaType(std::move(type)), bytes(std::move(content)), annotations(std::move(notes)) {}

  std::string mediaType;
  std::string bytes;
  Annotations annotations;
};

struct ArtifactSpec {
  std::string artifactType;  // the manifest's artifactType; omitted when empty
  std::string configMediaType = std::string(oci::media::kOciEmptyConfig);
  std::string configBytes = "{}";
  std::vector<ArtifactLayer> layers;
  Annotations annotations;
  std::optional<BlobRef> subject;  // mediaType, digest and size of the manifest this refers to
};

struct BuiltManifest {
  std::string bytes;  // exactly what was stored and what the registry must return
  std::string mediaType;
  oci::Digest digest;
  std::string artifactType;  // artifactType, else the config media type (what referrers list)
  Annotations annotations;
  std::vector<BlobRef> blobs;           // config first, then layers; raw: the given blobs
  std::vector<oci::Digest> diffIds;     // images: rootfs.diff_ids
  std::vector<BuiltManifest> children;  // indexes: the child manifests in entry order

  std::uint64_t size() const { return bytes.size(); }
  BlobRef descriptor() const { return BlobRef{digest, size(), mediaType}; }
  // Blobs of this manifest and of its children, each once, in first-seen order.
  std::vector<BlobRef> allBlobs() const;
};

struct RawManifest {
  RawManifest(std::string manifestBytes, std::string type, std::vector<std::string> blobBytes = {},
              std::vector<BuiltManifest> childManifests = {})
      : bytes(std::move(manifestBytes)),
        mediaType(std::move(type)),
        blobs(std::move(blobBytes)),
        children(std::move(childManifests)) {}

  std::string bytes;
  std::string mediaType;
  std::vector<std::string> blobs;       // stored as-is; their digests must match the manifest
  std::vector<BuiltManifest> children;  // for raw indexes: child manifests to push first
};

class ImageBuilder {
 public:
  explicit ImageBuilder(OciLayout& layout) : layout_(layout) {}

  Result<BuiltManifest> image(const ImageSpec& spec);
  Result<BuiltManifest> index(const IndexSpec& spec);
  Result<BuiltManifest> artifact(const ArtifactSpec& spec);
  // An index listing manifests with their artifactType and annotations, as the OCI referrers
  // API (or its "sha256-<hex>" fallback tag) does. Skopeo 1.9.3 refuses to copy this shape
  // with --preserve-digests; see Push.hpp.
  Result<BuiltManifest> referrersIndex(const std::vector<BuiltManifest>& referrers);
  Result<BuiltManifest> raw(RawManifest manifest);

  // Points a tag in the layout at a built manifest (the name pushWithSkopeo copies from).
  Status tag(std::string_view tag, const BuiltManifest& manifest);

  OciLayout& layout() { return layout_; }

 private:
  Result<BuiltManifest> storeManifest(BuiltManifest built);
  OciLayout& layout_;
};

}  // namespace autonomy::testing
