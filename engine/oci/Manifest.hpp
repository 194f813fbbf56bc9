#pragma once
// Parsing of image manifests and indexes. We only read what copying needs (descriptors);
// the bytes themselves are always copied unchanged so digests are preserved.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"

namespace autonomy::oci {

struct Descriptor {
  std::string mediaType;
  Digest digest;
  std::uint64_t size = 0;
  std::string artifactType;
  std::map<std::string, std::string> annotations;
  std::string platform;  // "os/arch[/variant]" for index entries, empty otherwise
};

struct Manifest {
  std::string mediaType;  // from the JSON, else from the Content-Type it came with
  bool isIndex = false;
  std::optional<Descriptor> config;   // image manifests
  std::vector<Descriptor> layers;     // image manifests
  std::vector<Descriptor> manifests;  // indexes
  std::optional<Descriptor> subject;
  std::string artifactType;
  std::map<std::string, std::string> annotations;

  // Blobs this manifest references directly (config first, then layers).
  std::vector<Descriptor> blobs() const;
};

// The distribution spec's recommended cap, which the registry client also applies on reading.
inline constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;

// contentType is the response's Content-Type, used when the JSON has no mediaType field.
Result<Manifest> parseManifest(std::string_view bytes, std::string_view contentType);

}  // namespace autonomy::oci
