#pragma once
// Shared fixture for the verification integration tests: real docker-registry processes on
// 127.0.0.1 (A = source, B = peer, C = B's neighbour), tiny images pushed with skopeo (curl for
// referrers indexes), cosign-layout signatures from the test signer, and the real `autonomy`
// binary driven as an operator would. Assertions about "nothing written to B" read B's storage
// tree and its access log, never the product's own account of what it did.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/OciLayout.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/support/signer/CosignSigner.hpp"

namespace autonomy::testing::verifyit {

inline constexpr std::uint64_t kLayerBytes = 64 * 1024;

// One run of `autonomy registry sync|seed`: its output and the --out directory it wrote.
struct CliRun {
  RunResult result;
  std::filesystem::path out;

  int exitCode() const { return result.exitCode; }
  std::string describe() const { return result.describe(); }
};

// A pushed .sig artifact: the tag it sits at and the digest of its manifest.
struct PushedSignature {
  std::string tag;
  oci::Digest manifestDigest;
};

class VerifyIntegration : public ::testing::Test {
 protected:
  void SetUp() override;

  // Registries start on demand, each with its own storage.
  RegistryProcess& a() { return registry(0); }
  RegistryProcess& b() { return registry(1); }
  RegistryProcess& c() { return registry(2); }

  const std::filesystem::path& work() const { return work_.path(); }
  ImageBuilder& builder() { return *builder_; }
  OciLayout& layout() { return *layout_; }

  // A single-platform image with one 64 KiB layer; `seed` makes it distinct.
  BuiltManifest buildImage(std::uint64_t seed);
  // Pushes a built manifest (image, index, artifact, referrers index) to reg/repo:tag; throws on failure.
  void push(RegistryProcess& reg, const BuiltManifest& manifest, const std::string& repo, const std::string& tag);
  // Pushes a .sig manifest with the given signature layers at `subject`'s sha256-<hex>.sig tag.
  PushedSignature pushSignature(RegistryProcess& reg, const std::string& repo, const oci::Digest& subject,
                                const std::vector<SignedPayload>& payloads);
  // The identity the tests sign with: "<host>/<repo>", as cosign writes it.
  static std::string identityFor(const RegistryProcess& reg, const std::string& repo);
  // buildImage + push + a valid signature by `signer`.
  BuiltManifest pushSignedImage(RegistryProcess& reg, const std::string& repo, const std::string& tag,
                                std::uint64_t seed, const CosignSigner& signer,
                                PushedSignature* signatureOut = nullptr);

  // Writes a file under work() and returns its path.
  std::filesystem::path writeFile(const std::string& name, const std::string& content);
  std::filesystem::path writeKey(const CosignSigner& signer, const std::string& name = "cosign.pub");

  // `autonomy registry sync --from-registry F --to-registry T --repos R1,R2 --out <fresh dir>
  //  --allow-insecure-registry <extra...>`
  CliRun sync(const RegistryProcess& from, const RegistryProcess& to, const std::vector<std::string>& repos,
              const std::vector<std::string>& extra);
  // `autonomy registry seed --from F/<from> --to T/<to> --out <fresh dir> --allow-insecure-registry <extra...>`
  CliRun seed(const RegistryProcess& from, const std::string& fromRef, const RegistryProcess& to,
              const std::string& toRef, const std::vector<std::string>& extra);
  // Runs the binary with `args` plus `--out <dir>` (a fresh directory unless one is given).
  CliRun runCli(std::vector<std::string> args, const std::filesystem::path& out = {});

  static nlohmann::json seedJson(const CliRun& run, const std::string& repo);
  static nlohmann::json catalogJson(const CliRun& run);

  // The digest a tag points at, read from the registry's storage ("" if the tag is absent).
  static std::string tagDigest(const RegistryProcess& reg, const std::string& repo, const std::string& tag);
  // True if the registry holds the blob's data file.
  static bool hasBlob(const RegistryProcess& reg, const oci::Digest& digest);
  // Access-log lines of write requests (POST/PUT/PATCH/DELETE) touching /v2/<repo>/.
  static std::vector<std::string> writeRequests(const RegistryProcess& reg, const std::string& repo);
  // Access-log lines of any request touching /v2/<repo>/.
  static std::vector<std::string> anyRequests(const RegistryProcess& reg, const std::string& repo);
  // No tag, no manifest revision, no repo directory and no write request for `repo` at reg.
  static void expectUntouched(const RegistryProcess& reg, const std::string& repo);
  // No blob at all in the registry's storage (a fresh registry nothing was uploaded to).
  static void expectNoBlobs(const RegistryProcess& reg);

  // sha256:<hex> of the DER SubjectPublicKeyInfo, computed here with OpenSSL (not the product).
  static std::string spkiFingerprint(const std::string& publicPem);

 private:
  RegistryProcess& registry(int i);

  TempDir work_{"verify-it"};
  std::optional<OciLayout> layout_;
  std::unique_ptr<ImageBuilder> builder_;
  std::unique_ptr<RegistryProcess> registries_[3];
  int runs_ = 0;
};

// Test suites here are named verify_<Topic> so that `ctest -L integration -R verify` selects them
// (ctest matches case-sensitively on the discovered "Suite.Test" names).
using verify_Cli = VerifyIntegration;

}  // namespace autonomy::testing::verifyit
