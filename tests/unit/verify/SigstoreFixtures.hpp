#pragma once
// Readers for the real Sigstore bundle vectors in ../shared/fixtures/sigstore-bundles (read in
// place, never copied; see its README for what each file is).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "engine/core/Base64.hpp"
#include "engine/verify/PublicKey.hpp"
#include "tests/unit/verify/CosignFixtures.hpp"

namespace autonomy::verify::sigstore_fixtures {

inline std::filesystem::path bundlesDir() {
  return std::filesystem::path(AUTONOMY_SHARED_DIR) / "fixtures" / "sigstore-bundles";
}
inline std::filesystem::path conformance(const std::string& rel) {
  return bundlesDir() / "sigstore-conformance" / "test" / "assets" / "bundle-verify" / rel;
}
inline std::filesystem::path sigstoreGo(const std::string& rel) { return bundlesDir() / "sigstore-go" / rel; }
inline std::filesystem::path sigstoreRs(const std::string& rel) { return bundlesDir() / "sigstore-rs" / rel; }
inline std::filesystem::path cosignRepo(const std::string& rel) { return bundlesDir() / "cosign" / rel; }

#define SKIP_WITHOUT_BUNDLE_FIXTURES()                                                       \
  do {                                                                                       \
    if (!std::filesystem::is_directory(::autonomy::verify::sigstore_fixtures::bundlesDir())) \
      GTEST_SKIP() << "the shared fixtures are absent: "                                     \
                   << ::autonomy::verify::sigstore_fixtures::bundlesDir().string();          \
  } while (false)

inline std::string read(const std::filesystem::path& p) { return fixtures::readFile(p); }
inline nlohmann::json readJson(const std::filesystem::path& p) { return nlohmann::json::parse(read(p)); }

inline PublicKey keyFromPem(const std::string& pem, const std::string& label) {
  auto key = PublicKey::fromPem(pem, label);
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

inline std::string pemFromDer(const std::string& der, const char* label) {
  const std::string b64 = base64Encode(der);
  std::string pem = std::string("-----BEGIN ") + label + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END " + label + "-----\n";
}

// The Rekor keys of a trusted_root.json (tlogs[].publicKey.rawBytes, DER SPKI).
inline std::vector<PublicKey> rekorKeys(const std::filesystem::path& trustedRoot) {
  std::vector<PublicKey> out;
  const auto root = readJson(trustedRoot);
  for (const auto& tlog : root.at("tlogs")) {
    const auto der = base64Decode(tlog.at("publicKey").at("rawBytes").get<std::string>());
    if (!der) throw std::runtime_error("rawBytes is not base64 in " + trustedRoot.string());
    auto key = PublicKey::fromPem(pemFromDer(*der, "PUBLIC KEY"), "trusted root tlog key");
    if (!key) throw std::runtime_error(trustedRoot.string() + ": " + key.error().message);
    out.push_back(*key);
  }
  return out;
}

// The public key of a keyless bundle's certificate (verificationMaterial.certificate.rawBytes).
inline PublicKey certificateKey(const nlohmann::json& bundle) {
  const auto der = base64Decode(bundle.at("verificationMaterial").at("certificate").at("rawBytes").get<std::string>());
  if (!der) throw std::runtime_error("certificate is not base64");
  const auto spki = spkiDerOfPem(pemFromDer(*der, "CERTIFICATE"));
  if (!spki) throw std::runtime_error("certificate has no readable key");
  return keyFromPem(pemFromDer(*spki, "PUBLIC KEY"), "certificate key");
}

}  // namespace autonomy::verify::sigstore_fixtures
