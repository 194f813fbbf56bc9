#include "engine/verify/SignatureVerifier.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>

#include "engine/core/Base64.hpp"
#include "engine/core/Sha256.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/CosignPayload.hpp"
#include "engine/verify/RekorEntry.hpp"

namespace autonomy::verify {

namespace {

enum class RsaPadding { kNone, kPkcs1, kPss };

// One EVP_DigestVerify pass; md is null for Ed25519 (which hashes internally).
bool digestVerify(EVP_PKEY* pkey, const EVP_MD* md, RsaPadding padding, std::string_view payload,
                  std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey) != 1) return false;
  if (padding == RsaPadding::kPkcs1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
  if (padding == RsaPadding::kPss) {
    // Go's rsa.VerifyPSS with default options: MGF1 with the same hash, salt length detected.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
      return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1;
}

bool verifyWithKey(const PublicKey& key, std::string_view payload, std::string_view signature) {
  EVP_PKEY* pkey = key.native();
  switch (key.type()) {
    case KeyType::kEcdsaP256:
      return digestVerify(pkey, EVP_sha256(), RsaPadding::kNone, payload, signature);
    case KeyType::kEcdsaP384:
      return digestVerify(pkey, EVP_sha384(), RsaPadding::kNone, payload, signature) ||
             digestVerify(pkey, EVP_sha256(), RsaPadding::kNone, payload, signature);
    case KeyType::kRsa:
      return digestVerify(pkey, EVP_sha256(), RsaPadding::kPkcs1, payload, signature) ||
             digestVerify(pkey, EVP_sha256(), RsaPadding::kPss, payload, signature);
    case KeyType::kEd25519:
      return digestVerify(pkey, nullptr, RsaPadding::kNone, payload, signature);
  }
  return false;
}

// Why one simple-signing layer is not an acceptable signature of `expected`, or its payload.
Result<CosignPayload> checkLayer(const oci::Digest& expected, const PublicKey& key, const SignatureLayer& layer,
                                 std::string* signatureBytes) {
  if (layer.signatureBase64.empty())
    return makeError(ErrorCode::kVerification, "layer has no " + std::string(kSignatureAnnotation) + " annotation");
  if (layer.payload.size() > kMaxSignaturePayloadBytes)
    return makeError(ErrorCode::kVerification, "payload is " + std::to_string(layer.payload.size()) +
                                                   " bytes, more than a signature payload may be");
  auto signature = base64Decode(layer.signatureBase64);
  if (!signature || signature->empty())
    return makeError(ErrorCode::kVerification, std::string(kSignatureAnnotation) + " annotation is not valid base64");
  // The signature is checked before the payload is read: unsigned JSON is never trusted.
  if (!verifySignatureBytes(key, layer.payload, *signature))
    return makeError(ErrorCode::kVerification,
                     "signature does not verify with key " + key.fingerprint() + " (" + key.describe() + ")");
  *signatureBytes = std::move(*signature);
  return parseCosignPayload(layer.payload, expected);
}

Status checkRekorBundle(const TrustPolicy& trust, const SignatureLayer& layer, std::string_view signature) {
  if (!layer.bundle)
    return makeError(ErrorCode::kVerification, "layer has no " + std::string(kBundleAnnotation) +
                                                   " annotation, but --rekor-pub-key makes a verified log entry "
                                                   "mandatory (sign without --tlog-upload=false)");
  auto entry = parseLegacyRekorBundle(*layer.bundle);
  if (!entry) return entry.error();
  return verifyTlogEntry(*entry, trust.rekorKeys, TlogSubject{signature, &trust.key, Sha256::hex(layer.payload)});
}

}  // namespace

bool verifySignatureBytes(const PublicKey& key, std::string_view payload, std::string_view signature) {
  const bool ok = key.native() != nullptr && verifyWithKey(key, payload, signature);
  ERR_clear_error();  // a failed attempt leaves errors on the thread's queue
  return ok;
}

Result<VerifiedSignature> verifySimpleSigningLayer(const oci::Digest& expected, const TrustPolicy& trust,
                                                   const SignatureLayer& layer) {
  if (layer.mediaType != oci::media::kCosignSimpleSigning)
    return makeError(ErrorCode::kVerification, "layer of media type '" + layer.mediaType + "' is not a signature");
  std::string signature;
  auto payload = checkLayer(expected, trust.key, layer, &signature);
  if (!payload) return payload.error();
  VerifiedSignature ok;
  if (trust.requiresTlog()) {
    if (auto st = checkRekorBundle(trust, layer, signature); !st) return st.error();
    ok.tlogVerified = true;
  }
  ok.keyFingerprint = trust.key.fingerprint();
  ok.keyDescription = trust.key.describe();
  ok.identity = payload->dockerReference;
  ok.optionalJson = payload->optionalJson;
  ok.signaturesChecked = 1;
  ok.rekorBundle = layer.bundle;
  return ok;
}

Result<VerifiedSignature> verifySignatures(const oci::Digest& expected, const TrustPolicy& trust,
                                           const std::vector<SignatureLayer>& layers) {
  std::vector<std::string> reasons;
  std::size_t checked = 0;
  std::size_t ignored = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].mediaType != oci::media::kCosignSimpleSigning) {
      ++ignored;
      continue;
    }
    ++checked;
    auto ok = verifySimpleSigningLayer(expected, trust, layers[i]);
    if (!ok) {
      reasons.push_back("layer " + std::to_string(i + 1) + ": " + ok.error().message);
      continue;
    }
    ok->signaturesChecked = checked;
    return ok;
  }
  return noValidSignature(expected, checked, ignored, reasons);
}

Result<VerifiedSignature> verifySignatures(const oci::Digest& expected, const PublicKey& key,
                                           const std::vector<SignatureLayer>& layers) {
  return verifySignatures(expected, TrustPolicy{key, {}}, layers);
}

Error noValidSignature(const oci::Digest& expected, std::size_t checked, std::size_t ignored,
                       const std::vector<std::string>& reasons) {
  std::string message = "no valid cosign signature for " + expected.str() + ": ";
  if (checked == 0) {
    message += "the .sig manifest has no " + std::string(oci::media::kCosignSimpleSigning) + " layers";
    if (ignored > 0) message += " (" + std::to_string(ignored) + " layer(s) of other media types ignored)";
    return makeError(ErrorCode::kVerification, message + "; sign the image with `cosign sign --key`");
  }
  for (std::size_t i = 0; i < reasons.size(); ++i) message += (i == 0 ? "" : "; ") + reasons[i];
  return makeError(ErrorCode::kVerification, message);
}

Result<std::vector<oci::Descriptor>> signatureLayersToFetch(std::string_view sigManifestBytes,
                                                            std::string_view contentType) {
  auto manifest = oci::parseManifest(sigManifestBytes, contentType);
  if (!manifest) return makeError(ErrorCode::kVerification, "signature manifest: " + manifest.error().message);
  if (manifest->isIndex)
    return makeError(ErrorCode::kVerification, "signature manifest is an index; expected an image manifest");
  std::vector<oci::Descriptor> out;
  for (const auto& layer : manifest->layers)
    if (layer.mediaType == oci::media::kCosignSimpleSigning) out.push_back(layer);
  return out;
}

SignatureLayer signatureLayer(const oci::Descriptor& layer, std::string blob) {
  SignatureLayer out;
  out.mediaType = layer.mediaType;
  out.payload = std::move(blob);
  if (const auto it = layer.annotations.find(std::string(kSignatureAnnotation)); it != layer.annotations.end())
    out.signatureBase64 = it->second;
  if (const auto it = layer.annotations.find(std::string(kBundleAnnotation)); it != layer.annotations.end())
    out.bundle = it->second;
  return out;
}

}  // namespace autonomy::verify
