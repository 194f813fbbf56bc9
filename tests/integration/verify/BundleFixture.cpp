#include "tests/integration/verify/BundleFixture.hpp"

#include <stdexcept>

#include "engine/core/Base64.hpp"

#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/InTotoStatement.hpp"
#include "engine/verify/SigstoreBundle.hpp"

namespace autonomy::testing::verifyit {

namespace {
const std::filesystem::path kSigstoreJs = std::filesystem::path(AUTONOMY_SOURCE_DIR) / "tests/support/sigstore-js";
}  // namespace

std::string BundleIntegration::sigstoreJsBundle(const CosignSigner& signer, const oci::Digest& digest,
                                                const std::vector<std::string>& extraArgs) {
  if (!std::filesystem::exists(kSigstoreJs / "node_modules" / "@sigstore" / "sign"))
    throw std::runtime_error("sigstore-js is not installed in " + kSigstoreJs.string() + ": run `make deps`");
  static int keys = 0;
  const auto keyFile = writeFile("signer-" + std::to_string(++keys) + ".pem", signer.privatePem());
  std::vector<std::string> args{
      "node", (kSigstoreJs / "sign-bundle.js").string(), "--key", keyFile.string(), "--digest", digest.str()};
  if (signer.kind() == KeyKind::kRsa2048Pss) args.emplace_back("--rsa-pss");
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  RunOptions options;
  options.timeout = std::chrono::seconds(60);
  const auto run = runCommand(args, options);
  if (run.exitCode != 0) throw std::runtime_error("sign-bundle.js failed: " + run.describe());
  return run.stdoutText;
}

BuiltManifest BundleIntegration::bundleReferrer(const BuiltManifest& image, const std::string& bundleJson) {
  const auto bundle = nlohmann::json::parse(bundleJson);
  const auto statement =
      nlohmann::json::parse(*base64Decode(bundle.at("dsseEnvelope").at("payload").get<std::string>()));
  ArtifactSpec spec;
  spec.artifactType = std::string(verify::kBundleMediaTypeV03);
  spec.layers.emplace_back(std::string(verify::kBundleMediaTypeV03), bundleJson);
  spec.annotations["dev.sigstore.bundle.content"] = "dsse-envelope";
  spec.annotations["dev.sigstore.bundle.predicateType"] = statement.value("predicateType", "");
  spec.annotations["org.opencontainers.image.created"] = "2026-12-01T00:00:00Z";
  spec.subject = image.descriptor();
  auto built = builder().artifact(spec);
  if (!built) throw std::runtime_error("build bundle referrer: " + built.error().message);
  return *built;
}

BuiltManifest BundleIntegration::pushReferrers(RegistryProcess& reg, const std::string& repo,
                                               const BuiltManifest& image, const std::vector<BuiltManifest>& referrers,
                                               IndexStyle style) {
  std::vector<BuiltManifest> listed = referrers;
  if (style == IndexStyle::kCosign30)
    for (auto& r : listed) {
      r.artifactType = std::string(oci::media::kOciEmptyConfig);
      r.annotations.clear();
    }
  auto index = builder().referrersIndex(listed);
  if (!index) throw std::runtime_error("build referrers index: " + index.error().message);
  push(reg, *index, repo, image.digest.attachmentTag());  // curl: each referrer by digest, then the index
  return *index;
}

BuiltManifest BundleIntegration::pushBundleSignedImage(RegistryProcess& reg, const std::string& repo,
                                                       const std::string& tag, std::uint64_t seed,
                                                       const CosignSigner& signer, IndexStyle style,
                                                       BuiltManifest* referrerOut,
                                                       const std::vector<std::string>& signerArgs) {
  auto image = buildImage(seed);
  push(reg, image, repo, tag);
  auto referrer = bundleReferrer(image, sigstoreJsBundle(signer, image.digest, signerArgs));
  pushReferrers(reg, repo, image, {referrer}, style);
  if (referrerOut != nullptr) *referrerOut = referrer;
  return image;
}

void BundleIntegration::expectRefused(const CliRun& run, const RegistryProcess& dest, const std::string& repo,
                                      const std::vector<std::string>& reasons) {
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  const auto record = seedJson(run, repo);
  EXPECT_EQ(record["status"], "failed") << record.dump(2);
  EXPECT_EQ(record["error"]["code"], "verification") << record.dump(2);
  for (const auto& reason : reasons)
    EXPECT_NE(record["error"]["message"].get<std::string>().find(reason), std::string::npos)
        << "no \"" << reason << "\" in: " << record["error"]["message"];
  expectUntouched(dest, repo);
}

}  // namespace autonomy::testing::verifyit
