#pragma once
// Real, reproducible image layers: a ustar archive holding one file of seeded pseudo-random bytes,
// gzip-compressed in-process with zlib. Everything that could vary between runs is pinned (tar
// mtime/uid/mode, gzip header mtime 0, the zlib level), so the same spec always yields the same
// layer digest and diff_id on a given zlib build. Layers stream to disk: a 1 GiB layer never
// sits in memory. Random bytes do not compress, so the default level is 0: a well-formed gzip
// stream of stored deflate blocks, written ~9x faster than level 1 (256 MiB: 0.8 s vs 7.5 s).
// LayerSpec(4096, 7).named("app/bin").level(6): constructors, because g++ 12 warns
// (-Wmissing-field-initializers) on partially initialised aggregates, designated or not.
#include <cstdint>
#include <string>
#include <utility>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"
#include "tests/support/images/OciLayout.hpp"

namespace autonomy::testing {

inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";

struct LayerSpec {
  LayerSpec(std::uint64_t sizeBytes, std::uint64_t seedValue) : size(sizeBytes), seed(seedValue) {}
  LayerSpec& named(std::string path) {
    fileName = std::move(path);
    return *this;
  }
  LayerSpec& uncompressed() {
    gzip = false;
    return *this;
  }
  LayerSpec& level(int zlibLevel) {
    gzipLevel = zlibLevel;
    return *this;
  }

  std::uint64_t size;  // bytes of the one file inside the tar
  std::uint64_t seed;  // same seed + size + fileName (+ level) => same digest
  bool gzip = true;
  std::string fileName;  // path inside the tar; empty => "data/<seed>-<size>.bin"
  int gzipLevel = 0;     // zlib level 0-9
};

struct BuiltLayer {
  BlobRef blob;        // the stored (compressed) blob, with its layer media type
  oci::Digest diffId;  // sha256 of the uncompressed tar, for rootfs.diff_ids
};

Result<BuiltLayer> writeLayer(OciLayout& layout, const LayerSpec& spec);

// The file content writeLayer archives for (size, seed): tests compare extracted files to it.
std::string seededBytes(std::uint64_t size, std::uint64_t seed);

// One 512-byte ustar header for a regular file (exposed for the self-test).
std::string ustarHeader(const std::string& name, std::uint64_t size);

}  // namespace autonomy::testing
