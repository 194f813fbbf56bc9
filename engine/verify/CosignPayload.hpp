#pragma once
// The "simple signing" payload cosign signs (one per .sig layer):
//   {"critical":{"identity":{"docker-reference":"reg/repo"},
//                "image":{"docker-manifest-digest":"sha256:..."},
//                "type":"cosign container image signature"},
//    "optional":null | {...}}
// Parsed as JSON, never compared as bytes: producers differ in layout and optional fields.
#include <map>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"

namespace autonomy::verify {

inline constexpr std::string_view kCosignSignatureType = "cosign container image signature";

struct CosignPayload {
  oci::Digest manifestDigest;         // critical.image.docker-manifest-digest
  std::string dockerReference;        // critical.identity.docker-reference: "repo" (cosign) or "repo:tag"
  std::string optionalJson = "null";  // the "optional" member as compact JSON
  // "optional" members: strings verbatim, anything else as compact JSON (timestamps are numbers).
  std::map<std::string, std::string> optional;
};

// Checks the structure and type only. Errors (kVerification) say what is wrong.
Result<CosignPayload> parseCosignPayload(std::string_view bytes);

// Also requires the payload to name `expected`: a payload naming another digest is a signature
// replayed from another image.
Result<CosignPayload> parseCosignPayload(std::string_view bytes, const oci::Digest& expected);

}  // namespace autonomy::verify
