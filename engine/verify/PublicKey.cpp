#include "engine/verify/PublicKey.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "engine/core/Sha256.hpp"

namespace autonomy::verify {

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";
constexpr std::uintmax_t kMaxKeyFileBytes = 64 * 1024;
constexpr int kMinRsaBits = 2048;  // sigstore refuses smaller RSA keys too

Error configError(std::string_view label, std::string_view what) {
  return makeError(ErrorCode::kConfig, std::string(label) + " " + std::string(what));
}

// The label of the first PEM block ("PUBLIC KEY", "EC PRIVATE KEY", ...), empty if there is none.
std::string firstPemLabel(std::string_view pem, std::size_t& blockStart) {
  blockStart = pem.find(kBegin);
  if (blockStart == std::string_view::npos) return {};
  const auto labelStart = blockStart + kBegin.size();
  const auto labelEnd = pem.find(kDashes, labelStart);
  if (labelEnd == std::string_view::npos) return {};
  return std::string(pem.substr(labelStart, labelEnd - labelStart));
}

// Refuses everything that is not a SubjectPublicKeyInfo block, with a hint for the common mix-ups.
Status checkLabel(std::string_view label, const std::string& pemLabel) {
  if (pemLabel.empty())
    return configError(label, "is not a PEM file (expected a '-----BEGIN PUBLIC KEY-----' block, e.g. cosign.pub)");
  if (pemLabel.find("PRIVATE KEY") != std::string::npos)
    return configError(label, "is a private key; pass the public key (cosign.pub)");
  if (pemLabel.find("CERTIFICATE") != std::string::npos)
    return configError(label,
                       "is an X.509 certificate, not a public key; certificate (keyless) verification is not "
                       "supported: extract the key with `openssl x509 -pubkey -noout -in FILE` if you trust it");
  if (pemLabel == "RSA PUBLIC KEY")
    return configError(label,
                       "is a PKCS#1 RSA key; convert it to a SubjectPublicKeyInfo with "
                       "`openssl rsa -RSAPublicKey_in -pubout -in FILE`");
  if (pemLabel != "PUBLIC KEY")
    return configError(label, "holds a PEM '" + pemLabel + "' block; expected '-----BEGIN PUBLIC KEY-----'");
  return {};
}

std::string ecGroupName(EVP_PKEY* pkey) {
  std::array<char, 80> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name.data(), name.size(), &len) != 1) return "unknown curve";
  return std::string(name.data(), len);
}

Result<KeyType> classify(EVP_PKEY* pkey, std::string_view label) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      const std::string group = ecGroupName(pkey);
      if (group == "prime256v1" || group == "P-256") return KeyType::kEcdsaP256;
      if (group == "secp384r1" || group == "P-384") return KeyType::kEcdsaP384;
      return configError(label, "is an ECDSA key on curve " + group +
                                    ", which is not supported (use P-256 or P-384, RSA, or Ed25519)");
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey) < kMinRsaBits)
        return configError(label, "is an RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey)) +
                                      " bits; at least 2048 bits are required");
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_RSA_PSS:
      return configError(label,
                         "is an RSA-PSS-restricted key (id-RSASSA-PSS), which cosign cannot use; "
                         "use a plain RSA (rsaEncryption) key");
    default: {
      const char* name = EVP_PKEY_get0_type_name(pkey);
      return configError(label, std::string("is a ") + (name != nullptr ? name : "unknown") +
                                    " key, which is not supported (use ECDSA P-256/P-384, RSA, or Ed25519)");
    }
  }
}

std::string encodeSpki(EVP_PKEY* pkey) {
  const int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PUBKEY(pkey, &out) != len) return {};
  return der;
}

}  // namespace

Result<PublicKey> PublicKey::fromPem(std::string_view pem, std::string_view label) {
  std::size_t blockStart = 0;
  if (auto ok = checkLabel(label, firstPemLabel(pem, blockStart)); !ok) return ok.error();

  const std::string_view block = pem.substr(blockStart);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())),
                                                &BIO_free);
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  ERR_clear_error();  // leave no stale errors for TLS code on this thread
  if (raw == nullptr) return configError(label, "has a PUBLIC KEY block that is not a valid SubjectPublicKeyInfo");

  PublicKey key;
  key.pkey_.reset(raw, &EVP_PKEY_free);
  auto type = classify(raw, label);
  if (!type) return type.error();
  key.type_ = *type;
  key.bits_ = EVP_PKEY_get_bits(raw);
  key.der_ = encodeSpki(raw);
  if (key.der_.empty()) return configError(label, "could not be re-encoded as DER");
  key.fingerprint_ = "sha256:" + Sha256::hex(key.der_);
  return key;
}

Result<PublicKey> PublicKey::fromFile(const std::filesystem::path& path, std::string_view flag) {
  const std::string label = std::string(flag) + " " + path.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return configError(label, "cannot be read: " + ec.message());
  if (size > kMaxKeyFileBytes)
    return configError(label, "is " + std::to_string(size) + " bytes, too large for a public key file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return configError(label, std::string("cannot be opened: ") + std::strerror(errno));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return fromPem(text, label);
}

std::optional<std::string> spkiDerOfPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(nullptr, &EVP_PKEY_free);
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     &X509_free);
    if (cert) key.reset(X509_get_pubkey(cert.get()));
  } else {
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  }
  ERR_clear_error();
  if (!key) return std::nullopt;
  std::string der = encodeSpki(key.get());
  if (der.empty()) return std::nullopt;
  return der;
}

std::string PublicKey::describe() const {
  switch (type_) {
    case KeyType::kEcdsaP256:
      return "ECDSA P-256";
    case KeyType::kEcdsaP384:
      return "ECDSA P-384";
    case KeyType::kRsa:
      return "RSA " + std::to_string(bits_);
    case KeyType::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

}  // namespace autonomy::verify
