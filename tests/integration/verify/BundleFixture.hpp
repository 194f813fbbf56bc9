#pragma once
// Cosign 3 signatures for the end-to-end tests: Sigstore bundles made by sigstore-js (an
// independent producer: tests/support/sigstore-js), stored as cosign 3 stores them, as OCI 1.1
// referrers of the image listed in the sha256-<hex> fallback index (docker-registry 2.8 has no
// referrers API), in both index-entry styles cosign has written.
#include <string>
#include <vector>

#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing::verifyit {

// How the fallback index describes each referrer.
enum class IndexStyle {
  kCosign30,  // cosign 3.0.x: entry artifactType application/vnd.oci.empty.v1+json, no annotations
  kFixed,     // the entry repeats the manifest's artifactType and annotations
};

class BundleIntegration : public VerifyIntegration {
 protected:
  // sigstore-js signs `digest` with the signer's private key; the bundle JSON it printed.
  std::string sigstoreJsBundle(const CosignSigner& signer, const oci::Digest& digest,
                               const std::vector<std::string>& extraArgs = {});
  // The referrer manifest cosign 3 pushes for `bundleJson`, subject `image`.
  BuiltManifest bundleReferrer(const BuiltManifest& image, const std::string& bundleJson);
  // Pushes the referrers by digest and the fallback index listing them at sha256-<hex of image>.
  BuiltManifest pushReferrers(RegistryProcess& reg, const std::string& repo, const BuiltManifest& image,
                              const std::vector<BuiltManifest>& referrers, IndexStyle style);
  // buildImage + push + a sigstore-js bundle referrer (and its fallback index).
  BuiltManifest pushBundleSignedImage(RegistryProcess& reg, const std::string& repo, const std::string& tag,
                                      std::uint64_t seed, const CosignSigner& signer,
                                      IndexStyle style = IndexStyle::kFixed, BuiltManifest* referrerOut = nullptr,
                                      const std::vector<std::string>& signerArgs = {});
  // The repo failed verification, its error says each reason, and `dest` holds nothing of it.
  static void expectRefused(const CliRun& run, const RegistryProcess& dest, const std::string& repo,
                            const std::vector<std::string>& reasons);
};

using verify_Bundle = BundleIntegration;

}  // namespace autonomy::testing::verifyit
