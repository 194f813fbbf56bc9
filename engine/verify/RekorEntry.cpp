#include "engine/verify/RekorEntry.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"
#include "engine/core/BoundedJson.hpp"
#include "engine/core/Sha256.hpp"
#include "engine/verify/SignatureVerifier.hpp"

namespace autonomy::verify {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

Error tlogError(std::string what) { return makeError(ErrorCode::kVerification, "tlog entry " + std::move(what)); }
Error bodyError(std::string what) { return makeError(ErrorCode::kVerification, std::move(what)); }

std::string toHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

// Bundles write int64 fields as JSON strings (protobuf's JSON mapping, which leaves out zero
// values: a missing field is 0); legacy cosign writes numbers.
Result<std::int64_t> int64Member(const json& parent, const char* key) {
  const auto it = parent.find(key);
  if (it == parent.end()) return std::int64_t{0};
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty() && value >= 0) return value;
  }
  return tlogError(std::string("has a malformed \"") + key + "\"");
}

std::string stringMember(const json& parent, const char* key) {
  const auto it = parent.find(key);
  return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& objectOrNull(const json& parent, const char* key) {
  static const json kNull;
  const auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? *it : kNull;
}

// A PEM public key or certificate, base64-encoded as Rekor bodies carry it, is `key`.
bool namesKey(const std::string& pemBase64, const PublicKey& key) {
  const auto pem = base64Decode(pemBase64);
  if (!pem) return false;
  const auto der = spkiDerOfPem(*pem);
  return der && *der == key.spkiDer();
}

bool sameSignature(const std::string& base64, std::string_view signature) {
  const auto decoded = base64Decode(base64);
  return decoded && *decoded == signature;
}

Status checkHash(const json& hash, const std::string& expectedHex, const char* what) {
  if (stringMember(hash, "algorithm") != "sha256" || stringMember(hash, "value") != expectedHex)
    return bodyError(std::string("body's ") + what + " is not the sha256 of what was signed");
  return {};
}

Status checkHashedRekord(const json& spec, const TlogSubject& s) {
  const auto& signature = objectOrNull(spec, "signature");
  if (!sameSignature(stringMember(signature, "content"), s.signature))
    return bodyError("body (hashedrekord) names another signature");
  if (!namesKey(stringMember(objectOrNull(signature, "publicKey"), "content"), *s.key))
    return bodyError("body (hashedrekord) names another key");
  return checkHash(objectOrNull(objectOrNull(spec, "data"), "hash"), s.signedSha256Hex, "data hash");
}

Status checkDsse(const json& spec, const TlogSubject& s) {
  const auto it = spec.find("signatures");
  bool found = false;
  if (it != spec.end() && it->is_array())
    for (const auto& sig : *it)
      found = found || (sig.is_object() && sameSignature(stringMember(sig, "signature"), s.signature) &&
                        namesKey(stringMember(sig, "verifier"), *s.key));
  if (!found) return bodyError("body (dsse) names another signature or key");
  return checkHash(objectOrNull(spec, "payloadHash"), s.signedSha256Hex, "payloadHash");
}

// intoto 0.0.2 stores each signature base64-encoded once more than the envelope does.
Status checkInToto(const json& spec, const TlogSubject& s) {
  const auto& content = objectOrNull(spec, "content");
  const auto& envelope = objectOrNull(content, "envelope");
  const auto it = envelope.find("signatures");
  bool found = false;
  if (it != envelope.end() && it->is_array())
    for (const auto& sig : *it) {
      if (!sig.is_object()) continue;
      const auto inner = base64Decode(stringMember(sig, "sig"));
      found =
          found || (inner && sameSignature(*inner, s.signature) && namesKey(stringMember(sig, "publicKey"), *s.key));
    }
  if (!found) return bodyError("body (intoto) names another signature or key");
  return checkHash(objectOrNull(content, "payloadHash"), s.signedSha256Hex, "payloadHash");
}

Status checkBody(const TlogEntry& entry, const TlogSubject& subject) {
  const auto bytes = base64Decode(entry.bodyBase64);
  if (!bytes) return bodyError("body is not base64");
  JsonBounds bounds;
  bounds.maxBytes = kMaxBodyBytes;
  auto body = parseBoundedJson(*bytes, bounds, ErrorCode::kVerification, "body");
  if (!body) return body.error();
  if (!body->is_object()) return bodyError("body is not a JSON object");
  const std::string kind = stringMember(*body, "kind");
  const std::string version = stringMember(*body, "apiVersion");
  if (!entry.kind.empty() && entry.kind != kind)
    return bodyError("is named kind '" + entry.kind + "' but its body is '" + kind + "'");
  const auto& spec = objectOrNull(*body, "spec");
  if (kind == "hashedrekord" && version == "0.0.1") return checkHashedRekord(spec, subject);
  if (kind == "dsse" && version == "0.0.1") return checkDsse(spec, subject);
  if (kind == "intoto" && version == "0.0.2") return checkInToto(spec, subject);
  return bodyError("body has kind '" + kind + "' version '" + version +
                   "', which is not checked (hashedrekord 0.0.1, dsse 0.0.1 and intoto 0.0.2 are)");
}

}  // namespace

std::string rekorLogId(const PublicKey& rekorKey) { return Sha256::hex(rekorKey.spkiDer()); }

Result<TlogEntry> parseLegacyRekorBundle(std::string_view annotation) {
  auto parsed = parseBoundedJson(annotation, JsonBounds{}, ErrorCode::kVerification, "Rekor bundle annotation");
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return tlogError("(Rekor bundle annotation) is not a JSON object");
  const auto& payload = objectOrNull(*parsed, "Payload");
  if (payload.is_null()) return tlogError("(Rekor bundle annotation) has no \"Payload\" object");
  TlogEntry e;
  auto index = int64Member(payload, "logIndex");
  if (!index) return index.error();
  auto time = int64Member(payload, "integratedTime");
  if (!time) return time.error();
  e.logIndex = *index;
  e.integratedTime = *time;
  e.logIdHex = stringMember(payload, "logID");
  e.bodyBase64 = stringMember(payload, "body");
  e.setBase64 = stringMember(*parsed, "SignedEntryTimestamp");
  if (e.logIdHex.empty() || e.bodyBase64.empty()) return tlogError("(Rekor bundle annotation) lacks logID or body");
  return e;
}

Result<TlogEntry> tlogEntryFromBundle(const json& entry) {
  if (!entry.is_object()) return tlogError("is not a JSON object");
  TlogEntry e;
  auto index = int64Member(entry, "logIndex");
  if (!index) return index.error();
  auto time = int64Member(entry, "integratedTime");
  if (!time) return time.error();
  e.logIndex = *index;
  e.integratedTime = *time;
  const auto keyId = base64Decode(stringMember(objectOrNull(entry, "logId"), "keyId"));
  if (!keyId || keyId->empty()) return tlogError("has no logId.keyId");
  e.logIdHex = toHex(*keyId);
  e.kind = stringMember(objectOrNull(entry, "kindVersion"), "kind");
  e.bodyBase64 = stringMember(entry, "canonicalizedBody");
  e.setBase64 = stringMember(objectOrNull(entry, "inclusionPromise"), "signedEntryTimestamp");
  if (e.bodyBase64.empty()) return tlogError("has no canonicalizedBody");
  return e;
}

Status verifyTlogEntry(const TlogEntry& entry, const std::vector<PublicKey>& rekorKeys, const TlogSubject& subject) {
  const std::string where = "(log index " + std::to_string(entry.logIndex) + ")";
  if (entry.setBase64.empty()) return tlogError(where + " has no signed entry timestamp (inclusion promise)");
  const PublicKey* log = nullptr;
  for (const auto& k : rekorKeys)
    if (rekorLogId(k) == entry.logIdHex) log = &k;
  if (log == nullptr)
    return tlogError(where + " is from log " + entry.logIdHex + ", not one of the --rekor-pub-key logs");
  const auto set = base64Decode(entry.setBase64);
  if (!set || set->empty()) return tlogError(where + " has a signed entry timestamp that is not base64");
  // nlohmann's object keeps keys sorted and dump() is compact: the canonical form Rekor signs.
  const json signedPart = {{"body", entry.bodyBase64},
                           {"integratedTime", entry.integratedTime},
                           {"logID", entry.logIdHex},
                           {"logIndex", entry.logIndex}};
  if (!verifySignatureBytes(*log, signedPart.dump(), *set))
    return tlogError(where + "'s signed entry timestamp does not verify with the Rekor key " + log->fingerprint());
  if (auto st = checkBody(entry, subject); !st) return tlogError(where + ": " + st.error().message);
  return {};
}

}  // namespace autonomy::verify
