#pragma once
// Offline, key-based verification of legacy cosign signatures (SPEC §3; bundles are in
// SigstoreBundle.hpp). No network here: the engine
//   1. fetches the manifest at tag D.attachmentTag(".sig"),
//   2. calls signatureLayersToFetch() on its bytes,
//   3. fetches each listed blob in turn (checking its digest and kMaxSignaturePayloadBytes) and
//      calls verifySimpleSigningLayer() on it, stopping at the first that verifies.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/oci/Manifest.hpp"
#include "engine/verify/PublicKey.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::verify {

inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kBundleAnnotation = "dev.sigstore.cosign/bundle";
// Payloads are a few hundred bytes; refuse to fetch anything absurd.
inline constexpr std::uint64_t kMaxSignaturePayloadBytes = 1024 * 1024;

// One layer of a .sig manifest with its blob.
struct SignatureLayer {
  std::string mediaType;
  std::string payload;                // the layer blob: the exact bytes that were signed
  std::string signatureBase64;        // annotation dev.cosignproject.cosign/signature
  std::optional<std::string> bundle;  // annotation dev.sigstore.cosign/bundle (Rekor), if any
};

struct VerifiedSignature {
  std::string keyFingerprint;              // PublicKey::fingerprint()
  std::string keyDescription;              // PublicKey::describe()
  std::string identity;                    // critical.identity.docker-reference of the accepted payload
  std::string optionalJson;                // its "optional" member as compact JSON ("null" if none)
  std::size_t signaturesChecked = 0;       // simple-signing layers tried, up to the accepted one
  std::optional<std::string> rekorBundle;  // of the accepted layer
  bool tlogVerified = false;               // its Rekor bundle checked out against trust.rekorKeys
  bool hasRekorBundle() const { return rekorBundle.has_value(); }
};

// Does `signature` (raw bytes, not base64) verify over `payload` with `key`, as sigstore checks it?
//   ECDSA P-256: ASN.1 DER signature over SHA-256. P-384: SHA-384, and SHA-256 as well
//   (cosign's default hash for every key). RSA: PKCS#1 v1.5 SHA-256, else PSS SHA-256 (any salt).
//   Ed25519: pure Ed25519 over the payload.
bool verifySignatureBytes(const PublicKey& key, std::string_view payload, std::string_view signature);

// One simple-signing layer: signed by trust.key, its payload naming `expected`, and with
// trust.rekorKeys, a Rekor bundle vouching for it. Errors are kVerification and say why.
Result<VerifiedSignature> verifySimpleSigningLayer(const oci::Digest& expected, const TrustPolicy& trust,
                                                   const SignatureLayer& layer);

// One valid simple-signing layer from `key` whose payload names `expected` suffices; layers of
// other media types are ignored. Errors are kVerification and name `expected` and each reason.
Result<VerifiedSignature> verifySignatures(const oci::Digest& expected, const TrustPolicy& trust,
                                           const std::vector<SignatureLayer>& layers);
Result<VerifiedSignature> verifySignatures(const oci::Digest& expected, const PublicKey& key,
                                           const std::vector<SignatureLayer>& layers);

// The message for a .sig manifest none of whose `checked` simple-signing layers verified.
Error noValidSignature(const oci::Digest& expected, std::size_t checked, std::size_t ignored,
                       const std::vector<std::string>& reasons);

// The simple-signing layer descriptors of a .sig manifest (annotations included), in order.
// An empty list is not an error here; verifySignatures() reports it.
Result<std::vector<oci::Descriptor>> signatureLayersToFetch(std::string_view sigManifestBytes,
                                                            std::string_view contentType = "");

// Pairs a listed descriptor with its fetched blob.
SignatureLayer signatureLayer(const oci::Descriptor& layer, std::string blob);

}  // namespace autonomy::verify
