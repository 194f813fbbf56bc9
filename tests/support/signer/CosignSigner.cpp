#include "tests/support/signer/CosignSigner.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "engine/core/Base64.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/SignatureVerifier.hpp"

namespace autonomy::testing {

using nlohmann::ordered_json;

namespace {

constexpr std::size_t kRsaBits = 2048;

[[noreturn]] void fail(const std::string& what) {
  ERR_clear_error();
  throw std::runtime_error("test signer: " + what);
}

EVP_PKEY* generate(KeyKind kind) {
  switch (kind) {
    case KeyKind::kEcdsaP256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyKind::kEcdsaP384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyKind::kRsa2048Pkcs1:
    case KeyKind::kRsa2048Pss:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsaBits);
    case KeyKind::kEd25519:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

// Hash cosign uses when signing with this kind; null for Ed25519 (pure signature).
const EVP_MD* signingDigest(KeyKind kind) {
  switch (kind) {
    case KeyKind::kEcdsaP384:
      return EVP_sha384();
    case KeyKind::kEd25519:
      return nullptr;
    default:
      return EVP_sha256();
  }
}

std::string readAll(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
BioPtr memBio() { return BioPtr(BIO_new(BIO_s_mem()), &BIO_free); }

ordered_json descriptor(std::string_view mediaType, const std::string& bytes) {
  ordered_json d;
  d["mediaType"] = mediaType;
  d["size"] = bytes.size();
  d["digest"] = oci::Digest::ofBytes(bytes).str();
  return d;
}

}  // namespace

std::string_view keyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kEcdsaP256:
      return "ecdsa_p256";
    case KeyKind::kEcdsaP384:
      return "ecdsa_p384";
    case KeyKind::kRsa2048Pkcs1:
      return "rsa2048_pkcs1";
    case KeyKind::kRsa2048Pss:
      return "rsa2048_pss";
    case KeyKind::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

std::string cosignPayload(const oci::Digest& digest, std::string_view identity) {
  ordered_json j;
  j["critical"]["identity"]["docker-reference"] = identity;
  j["critical"]["image"]["docker-manifest-digest"] = digest.str();
  j["critical"]["type"] = "cosign container image signature";
  j["optional"] = nullptr;
  return j.dump();
}

CosignSigner::CosignSigner(KeyKind kind) : kind_(kind) {
  EVP_PKEY* raw = generate(kind);
  if (raw == nullptr) fail("cannot generate a " + std::string(keyKindName(kind)) + " key");
  key_.reset(raw, &EVP_PKEY_free);
  auto bio = memBio();
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), raw) != 1) fail("cannot write the public key");
  publicPem_ = readAll(bio.get());
}

std::string CosignSigner::privatePem() const {
  auto bio = memBio();
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("cannot write the private key");
  return readAll(bio.get());
}

std::string CosignSigner::sign(std::string_view payload) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = signingDigest(kind_);
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) fail("cannot start signing");
  if (kind_ == KeyKind::kRsa2048Pss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    fail("cannot set PSS padding");
  const auto* tbs = reinterpret_cast<const unsigned char*>(payload.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, tbs, payload.size()) != 1) fail("cannot size the signature");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, tbs, payload.size()) != 1)
    fail("cannot sign");
  sig.resize(len);
  return sig;
}

std::string CosignSigner::signBase64(std::string_view payload) const { return base64Encode(sign(payload)); }

SignedPayload CosignSigner::signImage(const oci::Digest& digest, std::string_view identity) const {
  SignedPayload out;
  out.payload = cosignPayload(digest, identity);
  out.signatureBase64 = signBase64(out.payload);
  return out;
}

SignatureArtifact buildSignatureManifest(const oci::Digest& subject, const std::vector<SignedPayload>& signatures) {
  SignatureArtifact out;
  out.tag = subject.attachmentTag(".sig");

  // Shaped like the config cosign writes: an empty image whose rootfs lists the payloads.
  ordered_json config;
  config["architecture"] = "";
  config["created"] = "0001-01-01T00:00:00Z";
  config["history"] = ordered_json::array({{{"created", "0001-01-01T00:00:00Z"}}});
  config["os"] = "";
  config["rootfs"]["type"] = "layers";
  config["rootfs"]["diff_ids"] = ordered_json::array();
  config["config"] = ordered_json::object();

  ordered_json layers = ordered_json::array();
  for (const auto& s : signatures) {
    ordered_json layer = descriptor(oci::media::kCosignSimpleSigning, s.payload);
    layer["annotations"][std::string(verify::kSignatureAnnotation)] = s.signatureBase64;
    if (s.bundle) layer["annotations"][std::string(verify::kBundleAnnotation)] = *s.bundle;
    layers.push_back(std::move(layer));
    config["rootfs"]["diff_ids"].push_back(oci::Digest::ofBytes(s.payload).str());
    out.blobs[oci::Digest::ofBytes(s.payload)] = s.payload;
  }
  const std::string configBytes = config.dump();
  out.blobs[oci::Digest::ofBytes(configBytes)] = configBytes;

  ordered_json manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = oci::media::kOciManifest;
  manifest["config"] = descriptor(oci::media::kOciConfig, configBytes);
  manifest["layers"] = std::move(layers);
  out.manifest = manifest.dump();
  out.manifestDigest = oci::Digest::ofBytes(out.manifest);
  return out;
}

}  // namespace autonomy::testing
