#pragma once
// A cosign verification key: a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----", what
// `cosign generate-key-pair` writes to cosign.pub), held as an OpenSSL EVP_PKEY.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

struct evp_pkey_st;

namespace autonomy::verify {

enum class KeyType { kEcdsaP256, kEcdsaP384, kRsa, kEd25519 };

class PublicKey {
 public:
  // label names the key in errors: "<label> is a private key; ...". Errors are kConfig.
  static Result<PublicKey> fromPem(std::string_view pem, std::string_view label = "public key");
  // Errors name the file as "<flag> <path>".
  static Result<PublicKey> fromFile(const std::filesystem::path& path, std::string_view flag = "--pub-key");

  KeyType type() const { return type_; }
  int bits() const { return bits_; }
  const std::string& fingerprint() const { return fingerprint_; }  // "sha256:<hex of DER SPKI>"
  const std::string& spkiDer() const { return der_; }
  std::string describe() const;  // "ECDSA P-256", "ECDSA P-384", "RSA 2048", "Ed25519"

  evp_pkey_st* native() const { return pkey_.get(); }

 private:
  PublicKey() = default;
  std::shared_ptr<evp_pkey_st> pkey_;  // immutable once loaded, so copies may share it
  KeyType type_ = KeyType::kEcdsaP256;
  int bits_ = 0;
  std::string der_;
  std::string fingerprint_;
};

// The DER SubjectPublicKeyInfo of a PEM public key or of a PEM certificate's key (as Rekor entry
// bodies name the signer), or nullopt if `pem` is neither.
std::optional<std::string> spkiDerOfPem(std::string_view pem);

}  // namespace autonomy::verify
