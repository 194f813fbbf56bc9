#include "engine/verify/CosignPayload.hpp"

#include <nlohmann/json.hpp>

namespace autonomy::verify {

using nlohmann::json;

namespace {

Error payloadError(std::string what) { return makeError(ErrorCode::kVerification, "payload " + std::move(what)); }

// The member `key` of `parent` if it is an object, else nullptr.
const json* objectMember(const json& parent, const char* key) {
  const auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

Result<CosignPayload> parseCosignPayload(std::string_view bytes) {
  const json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return payloadError("is not JSON");
  if (!j.is_object()) return payloadError("is not a JSON object");

  const json* critical = objectMember(j, "critical");
  if (critical == nullptr) return payloadError("has no \"critical\" object");

  const auto type = critical->find("type");
  if (type == critical->end() || !type->is_string()) return payloadError("has no critical.type");
  if (type->get<std::string>() != kCosignSignatureType)
    return payloadError("critical.type is '" + type->get<std::string>() + "', expected '" +
                        std::string(kCosignSignatureType) + "'");

  const json* image = objectMember(*critical, "image");
  const auto digestIt = image != nullptr ? image->find("docker-manifest-digest") : critical->end();
  if (image == nullptr || digestIt == image->end() || !digestIt->is_string())
    return payloadError("has no critical.image.docker-manifest-digest");
  auto digest = oci::Digest::parse(digestIt->get<std::string>());
  if (!digest) return payloadError("critical.image.docker-manifest-digest: " + digest.error().message);

  CosignPayload out;
  out.manifestDigest = *digest;

  // cosign and containers/image always write an identity; tolerate its absence, not a wrong type.
  if (const auto identity = critical->find("identity"); identity != critical->end()) {
    if (!identity->is_object()) return payloadError("critical.identity is not an object");
    if (const auto ref = identity->find("docker-reference"); ref != identity->end()) {
      if (!ref->is_string()) return payloadError("critical.identity.docker-reference is not a string");
      out.dockerReference = ref->get<std::string>();
    }
  }

  if (const auto optional = j.find("optional"); optional != j.end() && !optional->is_null()) {
    if (!optional->is_object()) return payloadError("\"optional\" is neither null nor an object");
    out.optionalJson = optional->dump();
    for (const auto& [key, value] : optional->items())
      out.optional[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

Result<CosignPayload> parseCosignPayload(std::string_view bytes, const oci::Digest& expected) {
  auto payload = parseCosignPayload(bytes);
  if (!payload) return payload;
  if (payload->manifestDigest != expected)
    return payloadError("names another digest " + payload->manifestDigest.str() +
                        " (a signature replayed from another image)");
  return payload;
}

}  // namespace autonomy::verify
