// Sigstore bundles, in-toto statements and Rekor entries, through the whole key-based check
// (with and without a required log), so that every parser behind the signature check is reached.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/verify/InTotoStatement.hpp"
#include "engine/verify/RekorEntry.hpp"
#include "engine/verify/SigstoreBundle.hpp"

namespace {
// A fixed P-256 key: signatures will not verify, but every structural path before that is run.
constexpr const char* kKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf/IrKPsvNDg8h2vJ8QGl6z0Ei8bx\n"
    "0oq6F4535hkIbuwxbbIgamC+6VWML1EFXaBDMZbmb/JTSCUXLwdQ6mLIMQ==\n"
    "-----END PUBLIC KEY-----\n";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace autonomy;
  static const auto key = verify::PublicKey::fromPem(kKey);
  static const auto digest = oci::Digest::ofBytes("fuzz");
  if (!key.ok()) __builtin_trap();  // the fixed key must load
  if (auto b = verify::parseSigstoreBundle(bytes); b.ok())
    for (const auto& e : b->tlogEntries)
      (void)verify::verifyTlogEntry(e, {*key}, verify::TlogSubject{"sig", &*key, "00"});
  (void)verify::verifyImageSignatureBundle(digest, verify::TrustPolicy{*key, {}}, bytes);
  (void)verify::verifyImageSignatureBundle(digest, verify::TrustPolicy{*key, {*key}}, bytes);
  (void)verify::parseInTotoStatement(bytes);
  (void)verify::parseLegacyRekorBundle(bytes);
  const auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!j.is_discarded()) (void)verify::tlogEntryFromBundle(j);
  return 0;
}
