#include "tests/support/process/Pki.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <fstream>
#include <stdexcept>

namespace autonomy::testing::pki {

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  throw std::runtime_error("test PKI: " + what + ": " + text.data());
}

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Freer<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcSig = std::unique_ptr<ECDSA_SIG, Freer<ECDSA_SIG, ECDSA_SIG_free>>;
using Bignum = std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>>;

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void addExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) fail("extension " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) fail("add extension " + value);
}

void setRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) fail("random serial");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and not zero-led, so the DER length is stable
  Bignum bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) fail("serial");
}

std::string subjectAltNames(const CertSpec& spec) {
  std::string out;
  for (const auto& dns : spec.dnsNames) out += (out.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ipAddresses) out += (out.empty() ? "IP:" : ",IP:") + ip;
  return out;
}

}  // namespace

void KeyDeleter::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }
void CertDeleter::operator()(x509_st* cert) const { X509_free(cert); }

Key generateKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) fail("generate P-256 key");
  return key;
}

Cert issueCert(const CertSpec& spec, evp_pkey_st* subjectKey, x509_st* issuerCert, evp_pkey_st* issuerKey) {
  Cert cert(X509_new());
  if (!cert) fail("X509_new");
  X509* x = cert.get();
  X509_set_version(x, 2);
  setRandomSerial(x);
  // Backdated an hour so small clock differences between processes never matter.
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(spec.validDays) * 24 * 3600);
  if (X509_set_pubkey(x, subjectKey) != 1) fail("set public key");
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("autonomy tests"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.commonName.c_str()),
                             -1, -1, 0);
  X509* issuer = issuerCert != nullptr ? issuerCert : x;
  if (X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1) fail("set issuer");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  addExtension(x, &ctx, NID_subject_key_identifier, "hash");
  if (issuerCert != nullptr) addExtension(x, &ctx, NID_authority_key_identifier, "keyid:always");
  switch (spec.role) {
    case CertRole::kCa:
      addExtension(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
      addExtension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
      break;
    case CertRole::kServer:
      addExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
      addExtension(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      addExtension(x, &ctx, NID_ext_key_usage, "serverAuth");
      break;
    case CertRole::kClient:
      addExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
      addExtension(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      addExtension(x, &ctx, NID_ext_key_usage, "clientAuth");
      break;
    case CertRole::kSigning:
      addExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
      addExtension(x, &ctx, NID_key_usage, "critical,digitalSignature");
      break;
  }
  std::string sans = subjectAltNames(spec);
  if (!sans.empty()) addExtension(x, &ctx, NID_subject_alt_name, sans);
  if (X509_sign(x, issuerKey, EVP_sha256()) == 0) fail("sign certificate " + spec.commonName);
  return cert;
}

std::string certPem(x509_st* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("certificate PEM");
  return bioText(bio.get());
}

std::string certDer(x509_st* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) fail("certificate DER");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string privateKeyPem(evp_pkey_st* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("private key PEM");
  }
  return bioText(bio.get());
}

std::string signEs256(evp_pkey_st* key, std::string_view data) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t derLen = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &derLen, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1) {
    fail("ES256 sign init");
  }
  std::string der(derLen, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &derLen,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    fail("ES256 sign");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(derLen)));
  if (!sig) fail("ES256 decode DER signature");
  // JWS wants fixed-width big-endian r and s, each 32 bytes for P-256.
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32) {
    fail("ES256 r||s");
  }
  return raw;
}

void writeFile(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!file) throw std::runtime_error("write " + path.string() + " failed");
  }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

}  // namespace autonomy::testing::pki
