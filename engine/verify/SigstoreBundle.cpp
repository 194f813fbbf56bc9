#include "engine/verify/SigstoreBundle.hpp"

#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"
#include "engine/core/BoundedJson.hpp"
#include "engine/core/Sha256.hpp"
#include "engine/verify/InTotoStatement.hpp"
#include "engine/verify/SignatureVerifier.hpp"

namespace autonomy::verify {

using nlohmann::json;

namespace {

Error bundleError(std::string what) { return makeError(ErrorCode::kVerification, "bundle " + std::move(what)); }

const json* member(const json& parent, const char* key, json::value_t type) {
  const auto it = parent.find(key);
  return it != parent.end() && it->type() == type ? &*it : nullptr;
}

Status readEnvelope(const json& envelope, SigstoreBundle& out) {
  const json* type = member(envelope, "payloadType", json::value_t::string);
  const json* payload = member(envelope, "payload", json::value_t::string);
  const json* signatures = member(envelope, "signatures", json::value_t::array);
  if (type == nullptr || payload == nullptr || signatures == nullptr)
    return bundleError("dsseEnvelope lacks payloadType, payload or signatures");
  out.payloadType = type->get<std::string>();
  auto decoded = base64Decode(payload->get_ref<const std::string&>());
  if (!decoded) return bundleError("dsseEnvelope payload is not base64");
  out.payload = std::move(*decoded);
  if (signatures->size() > kMaxEnvelopeSignatures)
    return bundleError("dsseEnvelope has " + std::to_string(signatures->size()) + " signatures, more than " +
                       std::to_string(kMaxEnvelopeSignatures));
  for (const auto& s : *signatures) {
    const json* sig = s.is_object() ? member(s, "sig", json::value_t::string) : nullptr;
    auto bytes = sig != nullptr ? base64Decode(sig->get_ref<const std::string&>()) : std::nullopt;
    if (!bytes || bytes->empty()) return bundleError("dsseEnvelope has a signature that is not base64");
    out.signatures.push_back(std::move(*bytes));
  }
  if (out.signatures.empty()) return bundleError("dsseEnvelope has no signatures");
  return {};
}

Status readVerificationMaterial(const json& material, SigstoreBundle& out) {
  out.hasCertificate = material.contains("certificate") || material.contains("x509CertificateChain");
  if (const json* entries = member(material, "tlogEntries", json::value_t::array)) {
    if (entries->size() > kMaxTlogEntries)
      return bundleError("has " + std::to_string(entries->size()) + " tlog entries, more than " +
                         std::to_string(kMaxTlogEntries));
    out.tlogEntriesListed = entries->size();
    for (const auto& e : *entries) {
      auto entry = tlogEntryFromBundle(e);
      if (entry)
        out.tlogEntries.push_back(std::move(*entry));
      else
        out.tlogErrors.push_back(entry.error().message);
    }
  }
  if (const json* tsv = member(material, "timestampVerificationData", json::value_t::object))
    if (const json* ts = member(*tsv, "rfc3161Timestamps", json::value_t::array)) out.timestamps = ts->size();
  return {};
}

// Why one tlog entry check failed for each entry, or success for the first that vouches.
Status checkTlog(const SigstoreBundle& b, const TrustPolicy& trust, const TlogSubject& subject) {
  if (b.tlogEntriesListed == 0)
    return bundleError("has no tlog entries, but --rekor-pub-key makes a verified log entry mandatory");
  std::string reasons;
  for (const auto& e : b.tlogErrors) reasons += (reasons.empty() ? "" : "; ") + e;
  for (const auto& e : b.tlogEntries) {
    auto st = verifyTlogEntry(e, trust.rekorKeys, subject);
    if (st) return {};
    reasons += (reasons.empty() ? "" : "; ") + st.error().message;
  }
  return makeError(ErrorCode::kVerification, reasons);
}

}  // namespace

std::string dssePae(std::string_view payloadType, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payloadType.size());
  out += ' ';
  out += payloadType;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

Result<SigstoreBundle> parseSigstoreBundle(std::string_view text) {
  auto parsed =
      parseBoundedJson(text, JsonBounds{kMaxBundleBytes, kMaxBundleDepth}, ErrorCode::kVerification, "bundle");
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) return bundleError("is not a JSON object");
  SigstoreBundle out;
  const json* mediaType = member(j, "mediaType", json::value_t::string);
  if (mediaType == nullptr || !isBundleMediaType(mediaType->get_ref<const std::string&>()))
    return bundleError("has no Sigstore bundle mediaType");
  out.mediaType = mediaType->get<std::string>();
  if (const json* envelope = member(j, "dsseEnvelope", json::value_t::object)) {
    out.isDsse = true;
    if (auto st = readEnvelope(*envelope, out); !st) return st.error();
  } else if (!j.contains("messageSignature")) {
    return bundleError("has neither a dsseEnvelope nor a messageSignature");
  }
  const json* material = member(j, "verificationMaterial", json::value_t::object);
  if (material == nullptr) return bundleError("has no verificationMaterial");
  if (auto st = readVerificationMaterial(*material, out); !st) return st.error();
  return out;
}

Result<VerifiedBundle> verifyImageSignatureBundle(const oci::Digest& expected, const TrustPolicy& trust,
                                                  std::string_view bundleJson) {
  auto bundle = parseSigstoreBundle(bundleJson);
  if (!bundle) return bundle.error();
  if (!bundle->isDsse)
    return bundleError("holds a messageSignature (a signed blob), not the DSSE envelope cosign signs images with");
  if (bundle->payloadType != kInTotoPayloadType)
    return bundleError("envelope has payloadType '" + bundle->payloadType + "', expected '" +
                       std::string(kInTotoPayloadType) + "'");
  // The signature is checked before the statement is read: unsigned JSON is never trusted.
  const std::string pae = dssePae(bundle->payloadType, bundle->payload);
  std::vector<const std::string*> verified;  // with a log required, any of them may be the logged one
  std::size_t checked = 0;
  for (const auto& sig : bundle->signatures) {
    ++checked;
    if (verifySignatureBytes(trust.key, pae, sig)) {
      verified.push_back(&sig);
      if (!trust.requiresTlog()) break;
    }
  }
  if (verified.empty())
    return bundleError(
        "signature does not verify with key " + trust.key.fingerprint() + " (" + trust.key.describe() + ")" +
        (bundle->hasCertificate ? "; it was made keylessly (certificate), which is not trusted here" : ""));
  auto statement = parseImageSignatureStatement(bundle->payload, expected);
  if (!statement) return statement.error();

  VerifiedBundle out;
  out.statementType = statement->type;
  out.predicateType = statement->predicateType;
  out.signaturesChecked = checked;
  out.hasTlog = bundle->tlogEntriesListed > 0;
  out.hasTimestamps = bundle->timestamps > 0;
  if (trust.requiresTlog()) {
    Status logged = bundleError("has no verified log entry");
    for (const auto* sig : verified) {
      logged = checkTlog(*bundle, trust, TlogSubject{*sig, &trust.key, Sha256::hex(bundle->payload)});
      if (logged) break;
    }
    if (!logged) return logged.error();
    out.tlogVerified = true;
  }
  return out;
}

}  // namespace autonomy::verify
