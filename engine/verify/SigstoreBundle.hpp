#pragma once
// Sigstore bundles (cosign 3's default signature format), verified offline with a key:
//   {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
//    "verificationMaterial": {"publicKey": {"hint"}, "tlogEntries": [...], "timestampVerificationData"},
//    "dsseEnvelope": {"payloadType": "application/vnd.in-toto+json", "payload": b64,
//                     "signatures": [{"sig": b64, "keyid"}]}}
// The signature is over DSSE's pre-authentication encoding of (payloadType, payload), never the
// bare payload; the payload is an in-toto Statement naming the image (InTotoStatement.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/verify/RekorEntry.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::verify {

inline constexpr std::string_view kBundleMediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
// Every bundle version's media type starts so ("...bundle+json;version=0.1" for v0.1 and v0.2).
inline constexpr std::string_view kBundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle";
// A key-signed bundle is a few KiB; one with a certificate chain and a log proof about 10 KiB.
inline constexpr std::uint64_t kMaxBundleBytes = 256 * 1024;
inline constexpr std::size_t kMaxBundleDepth = 16;
inline constexpr std::size_t kMaxEnvelopeSignatures = 16;
inline constexpr std::size_t kMaxTlogEntries = 16;

// "...bundle+json;version=0.1" or "...bundle.v0.3+json", never "...bundleXYZ".
inline bool isBundleMediaType(std::string_view mt) {
  const auto n = kBundleMediaTypePrefix.size();
  return mt.size() > n && mt.substr(0, n) == kBundleMediaTypePrefix && (mt[n] == '+' || mt[n] == '.');
}

struct SigstoreBundle {
  std::string mediaType;
  bool isDsse = false;  // false: a messageSignature bundle (signs a blob, not an image)
  std::string payloadType;
  std::string payload;                  // decoded
  std::vector<std::string> signatures;  // decoded signature bytes, in order
  bool hasCertificate = false;          // keyless: not trusted here (no Fulcio root)
  std::vector<TlogEntry> tlogEntries;   // the entries that parsed
  std::size_t tlogEntriesListed = 0;    // as many as the bundle lists
  std::vector<std::string> tlogErrors;  // why the others did not parse (only fatal when a log is required)
  std::size_t timestamps = 0;           // RFC 3161 timestamps carried (recorded, not checked)
};

// Structure only; errors are kVerification and say what is wrong.
Result<SigstoreBundle> parseSigstoreBundle(std::string_view json);

// DSSE v1 pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(payload)> <payload>".
std::string dssePae(std::string_view payloadType, std::string_view payload);

struct VerifiedBundle {
  std::string statementType;
  std::string predicateType;
  std::size_t signaturesChecked = 0;
  bool hasTlog = false;
  bool hasTimestamps = false;
  bool tlogVerified = false;  // a tlog entry checked out against trust.rekorKeys
};

// A cosign image signature for `expected`: a DSSE envelope of an in-toto statement, one of whose
// signatures verifies with trust.key over the PAE, naming `expected` with the cosign/sign/v1
// predicate; with trust.rekorKeys, also a tlog entry vouching for that signature and key.
Result<VerifiedBundle> verifyImageSignatureBundle(const oci::Digest& expected, const TrustPolicy& trust,
                                                  std::string_view bundleJson);

}  // namespace autonomy::verify
