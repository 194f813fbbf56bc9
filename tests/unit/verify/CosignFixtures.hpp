#pragma once
// Readers for the real cosign vectors in ../shared/fixtures/cosign (read in place, never copied).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/core/Base64.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/verify/PublicKey.hpp"
#include "engine/verify/SignatureVerifier.hpp"

namespace autonomy::verify::fixtures {

inline std::filesystem::path cosignDir() { return std::filesystem::path(AUTONOMY_SHARED_DIR) / "fixtures" / "cosign"; }
inline std::filesystem::path containersImage(const std::string& rel) { return cosignDir() / "containers-image" / rel; }
inline std::filesystem::path sigstoreRs(const std::string& rel) { return cosignDir() / "sigstore-rs" / rel; }
inline bool present() { return std::filesystem::is_directory(cosignDir()); }

#define SKIP_WITHOUT_COSIGN_FIXTURES()                                                                          \
  do {                                                                                                          \
    if (!::autonomy::verify::fixtures::present())                                                               \
      GTEST_SKIP() << "the shared fixtures are absent: " << ::autonomy::verify::fixtures::cosignDir().string(); \
  } while (false)

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The image digest a dir-transport signature must name: sha256 of the dir's manifest.json.
inline oci::Digest manifestDigest(const std::filesystem::path& dir) {
  return oci::Digest::ofBytes(readFile(dir / "manifest.json"));
}

// containers/image's dir-transport signature file: "\0sigstore-json\n" then
// {"mimeType": ..., "payload": "<base64>", "annotations": {...}}.
inline SignatureLayer readDirSignature(const std::filesystem::path& path) {
  static const std::string kPrefix("\0sigstore-json\n", 15);
  const std::string bytes = readFile(path);
  if (bytes.compare(0, kPrefix.size(), kPrefix) != 0)
    throw std::runtime_error("not a sigstore-json file: " + path.string());
  const auto j = nlohmann::json::parse(bytes.substr(kPrefix.size()));
  SignatureLayer layer;
  layer.mediaType = j.at("mimeType").get<std::string>();
  const auto payload = base64Decode(j.at("payload").get<std::string>());
  if (!payload) throw std::runtime_error("payload is not base64 in " + path.string());
  layer.payload = *payload;
  const auto& annotations = j.at("annotations");
  layer.signatureBase64 = annotations.value(std::string(kSignatureAnnotation), "");
  if (annotations.contains(std::string(kBundleAnnotation)))
    layer.bundle = annotations.at(std::string(kBundleAnnotation)).get<std::string>();
  return layer;
}

inline PublicKey loadKey(const std::filesystem::path& path) {
  auto key = PublicKey::fromFile(path);
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

}  // namespace autonomy::verify::fixtures
