#include "engine/oci/Digest.hpp"

#include "engine/core/Sha256.hpp"

namespace autonomy::oci {

namespace {
bool allLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return makeError(ErrorCode::kUsage, "invalid digest '" + std::string(text) + "': expected sha256:<64 hex digits>");
  const auto algo = text.substr(0, colon);
  const auto hex = text.substr(colon + 1);
  const std::size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want == 0)
    return makeError(ErrorCode::kUsage,
                     "invalid digest '" + std::string(text) + "': unsupported algorithm (use sha256 or sha512)");
  if (hex.size() != want || !allLowerHex(hex))
    return makeError(ErrorCode::kUsage, "invalid digest '" + std::string(text) + "': expected " + std::to_string(want) +
                                            " lowercase hex digits after '" + std::string(algo) + ":'");
  return Digest(std::string(algo), std::string(hex));
}

Digest Digest::ofBytes(std::string_view bytes) { return Digest("sha256", Sha256::hex(bytes)); }

}  // namespace autonomy::oci
