#pragma once
// Offline checks of Rekor transparency-log entries, as cosign stores them:
//   legacy: the .sig layer annotation dev.sigstore.cosign/bundle
//           {"SignedEntryTimestamp": b64, "Payload": {"body", "integratedTime", "logIndex", "logID"}}
//   bundle: verificationMaterial.tlogEntries[] {"logIndex", "logId": {"keyId"}, "kindVersion",
//           "integratedTime", "inclusionPromise": {"signedEntryTimestamp"}, "canonicalizedBody"}
// The signed entry timestamp (SET, Rekor's inclusion promise) is the log's signature over the
// compact, key-sorted JSON {"body","integratedTime","logID","logIndex"}. The inclusion proof and
// checkpoint are not checked: the SET alone is what an offline verifier with one key can check.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/Error.hpp"
#include "engine/verify/PublicKey.hpp"

namespace autonomy::verify {

struct TlogEntry {
  std::int64_t logIndex = 0;
  std::string logIdHex;  // sha256 of the log's DER public key, lowercase hex
  std::int64_t integratedTime = 0;
  std::string kind;        // from kindVersion where the bundle says it, else from the body
  std::string bodyBase64;  // the canonicalized entry body as the log signed it
  std::string setBase64;   // empty when the entry carries no inclusion promise
};

// Errors are kVerification.
Result<TlogEntry> parseLegacyRekorBundle(std::string_view annotation);
Result<TlogEntry> tlogEntryFromBundle(const nlohmann::json& entry);

// What an entry must vouch for: the signature bytes, the key that made them, and the sha256 (hex)
// of what was signed (the payload; for DSSE, the envelope's decoded payload).
struct TlogSubject {
  std::string_view signature;
  const PublicKey* key = nullptr;
  std::string signedSha256Hex;
};

// The SET verifies with the Rekor key whose log ID the entry names, and the body (hashedrekord
// 0.0.1, dsse 0.0.1 or intoto 0.0.2) names the same signature, key and hash.
Status verifyTlogEntry(const TlogEntry& entry, const std::vector<PublicKey>& rekorKeys, const TlogSubject& subject);

// The log ID a Rekor key signs as: lowercase hex sha256 of its DER SubjectPublicKeyInfo.
std::string rekorLogId(const PublicKey& rekorKey);

}  // namespace autonomy::verify
