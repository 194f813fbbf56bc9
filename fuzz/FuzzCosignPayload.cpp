// cosign simple-signing payloads, and the .sig manifest around them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/verify/CosignPayload.hpp"
#include "engine/verify/SignatureVerifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace autonomy;
  static const auto digest = oci::Digest::ofBytes("fuzz");
  (void)verify::parseCosignPayload(bytes, digest);
  (void)verify::signatureLayersToFetch(bytes);
  return 0;
}
