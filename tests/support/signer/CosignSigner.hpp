#pragma once
// A test-only signer that writes what `cosign sign --key` writes: the simple-signing payload,
// a signature over it, and the .sig manifest with its blobs, ready to push next to an image.
// Debian's skopeo cannot sign sigstore signatures, so integration tests use this instead.
// Failures to generate or sign throw std::runtime_error (tests only).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/oci/Digest.hpp"

struct evp_pkey_st;

namespace autonomy::testing {

enum class KeyKind { kEcdsaP256, kEcdsaP384, kRsa2048Pkcs1, kRsa2048Pss, kEd25519 };

std::string_view keyKindName(KeyKind kind);  // "ecdsa-p256", ... (for test names)

// cosign's payload layout for `digest`, byte for byte (compact JSON, keys sorted).
std::string cosignPayload(const oci::Digest& digest, std::string_view identity);

// One signature layer: the payload blob and its annotations.
struct SignedPayload {
  std::string payload;
  std::string signatureBase64;
  std::optional<std::string> bundle;  // dev.sigstore.cosign/bundle, if a test wants one
};

// A freshly generated key pair. RSA kinds both use an ordinary rsaEncryption key and differ only
// in the padding they sign with (PKCS#1 v1.5 or PSS, SHA-256).
class CosignSigner {
 public:
  explicit CosignSigner(KeyKind kind);

  KeyKind kind() const { return kind_; }
  const std::string& publicPem() const { return publicPem_; }  // SPKI PEM, like cosign.pub
  std::string privatePem() const;                              // unencrypted PKCS#8 PEM

  std::string sign(std::string_view payload) const;  // raw signature bytes
  std::string signBase64(std::string_view payload) const;
  SignedPayload signImage(const oci::Digest& digest, std::string_view identity) const;

 private:
  KeyKind kind_;
  std::shared_ptr<evp_pkey_st> key_;
  std::string publicPem_;
};

// The .sig artifact for `subject`: push the blobs, then the manifest at `tag`.
struct SignatureArtifact {
  std::string tag;       // "sha256-<hex>.sig"
  std::string manifest;  // OCI image manifest bytes
  oci::Digest manifestDigest;
  std::map<oci::Digest, std::string> blobs;  // config blob and one payload blob per signature
};

SignatureArtifact buildSignatureManifest(const oci::Digest& subject, const std::vector<SignedPayload>& signatures);

}  // namespace autonomy::testing
