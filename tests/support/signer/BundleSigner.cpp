#include "tests/support/signer/BundleSigner.hpp"

#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"
#include "engine/verify/SigstoreBundle.hpp"

namespace autonomy::testing {

using nlohmann::ordered_json;

std::string cosignStatement(const oci::Digest& subject, std::string_view predicateType,
                            std::string_view statementType) {
  ordered_json s;
  s["_type"] = statementType;
  s["subject"] = ordered_json::array({{{"digest", {{"sha256", subject.hex()}}}}});
  s["predicateType"] = predicateType;
  s["predicate"] = ordered_json::object();
  return s.dump();
}

std::string dsseBundle(const CosignSigner& signer, std::string_view payload, std::string_view payloadType) {
  ordered_json b;
  b["mediaType"] = verify::kBundleMediaTypeV03;
  b["verificationMaterial"]["publicKey"]["hint"] = "";
  b["verificationMaterial"]["tlogEntries"] = ordered_json::array();
  b["verificationMaterial"]["timestampVerificationData"] = ordered_json::object();
  b["dsseEnvelope"]["payload"] = base64Encode(payload);
  b["dsseEnvelope"]["payloadType"] = payloadType;
  b["dsseEnvelope"]["signatures"] =
      ordered_json::array({{{"sig", signer.signBase64(verify::dssePae(payloadType, payload))}, {"keyid", ""}}});
  return b.dump();
}

}  // namespace autonomy::testing
