// What the operator passes as the key: malformed --pub-key inputs are configuration errors
// (exit 2) caught before any request; no key at all is refused; --skip-verify is loud.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tests/integration/verify/VerifyFixture.hpp"
#include "tests/support/process/Pki.hpp"

namespace autonomy::testing::verifyit {
namespace {

using ::testing::HasSubstr;

// SPKI PEM of a freshly generated key OpenSSL can make but cosign verification must refuse.
std::string publicPemOf(EVP_PKEY* key) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> owned(key, &EVP_PKEY_free);
  if (key == nullptr) throw std::runtime_error("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) throw std::runtime_error("PEM_write_bio_PUBKEY failed");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

class verify_KeyInput : public VerifyIntegration {
 protected:
  const std::string repo = "robot-behavior";
  const CosignSigner signer{KeyKind::kEcdsaP256};

  void SetUp() override {
    VerifyIntegration::SetUp();
    pushSignedImage(a(), repo, "v1", 91, signer);
  }

  // Exit 2, the message names the flag/file and says what is wrong, and neither registry saw a
  // request for the repo.
  void expectConfigError(const std::vector<std::string>& flags, const std::vector<std::string>& expectInStderr) {
    const auto logBefore = a().logText().size();
    const auto run = sync(a(), b(), {repo + ":v1"}, flags);
    EXPECT_EQ(run.exitCode(), 2) << run.describe();
    for (const auto& text : expectInStderr) EXPECT_THAT(run.result.stderrText, HasSubstr(text)) << run.describe();
    const std::string sourceLog = a().logText().substr(logBefore);
    EXPECT_EQ(sourceLog.find("/v2/"), std::string::npos) << "no request may precede the key check:\n" << sourceLog;
    EXPECT_FALSE(std::filesystem::exists(run.out / repo / "seed.json"));
    expectUntouched(b(), repo);
    expectNoBlobs(b());
  }
};

TEST_F(verify_KeyInput, GarbageTextIsRejected) {
  const auto path = writeFile("garbage.pub", "this is not a key\n");
  expectConfigError({"--pub-key", path.string()}, {path.string(), "not a PEM"});
}

TEST_F(verify_KeyInput, EmptyFileIsRejected) {
  const auto path = writeFile("empty.pub", "");
  expectConfigError({"--pub-key", path.string()}, {path.string(), "not a PEM"});
}

TEST_F(verify_KeyInput, CertificateIsRejected) {
  auto key = pki::generateKey();
  pki::CertSpec spec;
  spec.commonName = "cosign-signer";
  spec.role = pki::CertRole::kSigning;
  auto cert = pki::issueCert(spec, key.get(), nullptr, key.get());
  const auto path = writeFile("cosign.crt", pki::certPem(cert.get()));
  expectConfigError({"--pub-key", path.string()}, {path.string(), "certificate"});
}

TEST_F(verify_KeyInput, PrivateKeyIsRejected) {
  const auto path = writeFile("cosign.key", signer.privatePem());
  expectConfigError({"--pub-key", path.string()}, {path.string(), "private key"});
}

TEST_F(verify_KeyInput, CorruptPublicKeyBlockIsRejected) {
  std::string pem = signer.publicPem();
  const auto body = pem.find('\n') + 1;
  pem.replace(body, 8, "AAAAAAAA");  // valid base64, broken DER
  const auto path = writeFile("corrupt.pub", pem);
  expectConfigError({"--pub-key", path.string()}, {path.string()});
}

TEST_F(verify_KeyInput, UnsupportedCurveIsRejected) {
  const auto path = writeFile("p521.pub", publicPemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521")));
  expectConfigError({"--pub-key", path.string()}, {path.string(), "not supported"});
}

TEST_F(verify_KeyInput, ShortRsaKeyIsRejected) {
  const auto path =
      writeFile("rsa1024.pub", publicPemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024})));
  expectConfigError({"--pub-key", path.string()}, {path.string(), "2048"});
}

TEST_F(verify_KeyInput, NonexistentFileIsRejected) {
  const auto path = work() / "does-not-exist.pub";
  expectConfigError({"--pub-key", path.string()}, {path.string()});
}

TEST_F(verify_KeyInput, DirectoryIsRejected) {
  std::filesystem::create_directories(work() / "keys");
  expectConfigError({"--pub-key", (work() / "keys").string()}, {(work() / "keys").string()});
}

TEST_F(verify_KeyInput, NeitherKeyNorSkipVerifyIsRefused) { expectConfigError({}, {"--pub-key", "--skip-verify"}); }

TEST_F(verify_KeyInput, KeyAndSkipVerifyTogetherAreRefused) {
  expectConfigError({"--pub-key", writeKey(signer).string(), "--skip-verify"}, {"--skip-verify"});
}

// 10. --skip-verify copies an unsigned image, but says so loudly and records it.
TEST_F(verify_Cli, SkipVerifyWarnsLoudlyAndRecordsSkipped) {
  const std::string repo = "dev/unsigned";
  const auto image = buildImage(101);
  push(a(), image, repo, "v1");

  const CosignSigner signer(KeyKind::kEcdsaP256);
  PushedSignature sig;
  const auto signedImage = pushSignedImage(a(), "dev/signed", "v1", 102, signer, &sig);

  const auto run = sync(a(), b(), {repo + ":v1", "dev/signed:v1"}, {"--skip-verify", "--quiet"});
  ASSERT_EQ(run.exitCode(), 0) << run.describe();
  EXPECT_THAT(run.result.stderrText, HasSubstr("WARNING")) << "even with --quiet";
  EXPECT_THAT(run.result.stderrText, HasSubstr("NOT"));
  const auto s = seedJson(run, repo);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  EXPECT_EQ(s["verification"], "skipped") << s.dump(2);
  const auto cat = catalogJson(run);
  ASSERT_EQ(cat["repos"].size(), 2u);
  for (const auto& line : cat["repos"]) EXPECT_EQ(line["verification"], "skipped") << line.dump(2);
  EXPECT_EQ(tagDigest(b(), repo, "v1"), image.digest.str());
  // Signatures still travel, so B can verify when it re-seeds its neighbour.
  EXPECT_EQ(tagDigest(b(), "dev/signed", "v1"), signedImage.digest.str());
  EXPECT_EQ(tagDigest(b(), "dev/signed", sig.tag), sig.manifestDigest.str());

  // The seed subcommand warns too.
  const auto seeded = seed(a(), repo + ":v1", c(), repo, {"--skip-verify"});
  ASSERT_EQ(seeded.exitCode(), 0) << seeded.describe();
  EXPECT_THAT(seeded.result.stderrText, HasSubstr("WARNING"));
  EXPECT_EQ(seedJson(seeded, repo)["verification"], "skipped");
}

}  // namespace
}  // namespace autonomy::testing::verifyit
