// Manifests and indexes as a registry serves them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/oci/Manifest.hpp"
#include "engine/oci/MediaTypes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace autonomy::oci;
  for (std::string_view type : {std::string_view(), media::kOciManifest, media::kOciIndex, media::kDockerManifest})
    if (auto m = parseManifest(bytes, type); m.ok()) (void)m->blobs();
  return 0;
}
