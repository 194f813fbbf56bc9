#include "engine/verify/PublicKey.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include "engine/core/Sha256.hpp"
#include "tests/support/signer/CosignSigner.hpp"
#include "tests/unit/verify/CosignFixtures.hpp"

using namespace autonomy;
using namespace autonomy::verify;
using autonomy::testing::CosignSigner;
using autonomy::testing::KeyKind;
namespace fx = autonomy::verify::fixtures;

namespace {

// The base64 body of the first PEM block, decoded: the DER the fingerprint must hash.
std::string pemBodyDer(const std::string& pem) {
  const auto start = pem.find('\n', pem.find("-----BEGIN")) + 1;
  const auto end = pem.find("-----END");
  return base64Decode(pem.substr(start, end - start)).value_or("");
}

// A public key PEM generated directly with OpenSSL, for types the signer does not make.
std::string opensslPublicPem(const char* type, const char* curve) {
  EVP_PKEY* key = curve != nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, type, std::size_t{1024});
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

void expectConfigError(const Result<PublicKey>& key, const std::string& text) {
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kConfig);
  EXPECT_NE(key.error().message.find(text), std::string::npos) << key.error().message;
}

}  // namespace

TEST(PublicKey, LoadsCosignPubWithFingerprintOfDerSpki) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto path = fx::containersImage("cosign.pub");
  auto key = PublicKey::fromFile(path);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEcdsaP256);
  EXPECT_EQ(key->describe(), "ECDSA P-256");
  const std::string der = pemBodyDer(fx::readFile(path));
  EXPECT_EQ(key->spkiDer(), der);
  EXPECT_EQ(key->fingerprint(), "sha256:" + Sha256::hex(der));

  auto fromString = PublicKey::fromPem(fx::readFile(path));
  ASSERT_TRUE(fromString.ok());
  EXPECT_EQ(fromString->fingerprint(), key->fingerprint());
  EXPECT_NE(fx::loadKey(fx::containersImage("cosign2.pub")).fingerprint(), key->fingerprint());
}

TEST(PublicKey, DescribesEveryGeneratedKeyType) {
  const std::pair<KeyKind, std::string> cases[] = {{KeyKind::kEcdsaP256, "ECDSA P-256"},
                                                   {KeyKind::kEcdsaP384, "ECDSA P-384"},
                                                   {KeyKind::kRsa2048Pkcs1, "RSA 2048"},
                                                   {KeyKind::kRsa2048Pss, "RSA 2048"},
                                                   {KeyKind::kEd25519, "Ed25519"}};
  for (const auto& [kind, text] : cases) {
    auto key = PublicKey::fromPem(CosignSigner(kind).publicPem());
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(key->describe(), text);
    EXPECT_EQ(key->fingerprint().rfind("sha256:", 0), 0u);
    EXPECT_EQ(key->fingerprint().size(), 7u + 64u);
  }
}

TEST(PublicKey, AcceptsLeadingTextBeforeThePemBlock) {
  auto key = PublicKey::fromPem("# fleet signing key\n" + CosignSigner(KeyKind::kEd25519).publicPem());
  EXPECT_TRUE(key.ok());
}

TEST(PublicKey, RejectsAFileThatIsNotPem) {
  expectConfigError(PublicKey::fromPem("{\"schemaVersion\":2}", "--pub-key m.json"),
                    "--pub-key m.json is not a PEM file");
  expectConfigError(PublicKey::fromPem(""), "is not a PEM file");
}

TEST(PublicKey, RejectsAPrivateKeyWithAHint) {
  const CosignSigner signer(KeyKind::kEcdsaP256);
  expectConfigError(PublicKey::fromPem(signer.privatePem(), "--pub-key cosign.key"),
                    "--pub-key cosign.key is a private key; pass the public key (cosign.pub)");
  expectConfigError(PublicKey::fromPem("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n"
                                       "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
                    "is a private key");
}

TEST(PublicKey, RejectsACertificate) {
  SKIP_WITHOUT_COSIGN_FIXTURES();
  const auto path = fx::containersImage("fulcio_v1.crt.pem");
  expectConfigError(PublicKey::fromFile(path), "--pub-key " + path.string() + " is an X.509 certificate");
}

TEST(PublicKey, RejectsUnsupportedCurvesAndWeakRsa) {
  expectConfigError(PublicKey::fromPem(opensslPublicPem("EC", "P-521")), "curve secp521r1, which is not supported");
  expectConfigError(PublicKey::fromPem(opensslPublicPem("EC", "secp256k1")), "curve secp256k1");
  expectConfigError(PublicKey::fromPem(opensslPublicPem("RSA", nullptr)), "RSA key of 1024 bits");
  expectConfigError(PublicKey::fromPem(opensslPublicPem("X25519", nullptr)), "X25519 key, which is not supported");
}

TEST(PublicKey, RejectsACorruptPublicKeyBlock) {
  expectConfigError(PublicKey::fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                    "not a valid SubjectPublicKeyInfo");
  expectConfigError(PublicKey::fromPem("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"),
                    "PKCS#1 RSA key");
}

TEST(PublicKey, ReportsAMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "autonomy-verify-no-such-key.pub";
  expectConfigError(PublicKey::fromFile(path), "--pub-key " + path.string() + " cannot be read");
}
