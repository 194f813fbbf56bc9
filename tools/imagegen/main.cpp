// imagegen: builds a reproducible workload of images (a shared base layer plus unique layers
// per repo, and one multi-platform index), optionally cosign-signs each with a fresh key, and
// pushes everything to a registry with skopeo. Used by `make demo` and `make bench`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "engine/core/GuardedMain.hpp"
#include "engine/verify/SigstoreBundle.hpp"
#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/LayerWriter.hpp"
#include "tests/support/images/OciLayout.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/signer/BundleSigner.hpp"
#include "tests/support/signer/CosignSigner.hpp"

using namespace autonomy;
using namespace autonomy::testing;

namespace {

struct Args {
  std::string registry;
  std::string layout;
  std::size_t repos = 3;
  std::string prefix;
  std::string tag = "v1";
  std::uint64_t baseMib = 24;
  std::uint64_t uniqueMib = 4;
  std::uint64_t uniqueKib = 0;  // overrides uniqueMib when set
  std::size_t uniqueLayers = 2;
  std::size_t indexPlatforms = 2;
  std::string pubKeyOut;
  std::uint64_t seed = 1;
  std::vector<std::string> sidecars;  // repos that get lock/policy sidecars
  std::string signFormat = "legacy";  // legacy | bundle | mixed (alternating, first repo legacy)
  std::vector<std::string> signOnly;  // repo@sha256:... already at the registry: sign these, build nothing
};

constexpr std::uint64_t kMiB = 1 << 20;

int fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "imagegen: %s: %s\n", what.c_str(), e.message.c_str());
  return 1;
}

Status pushSignature(OciLayout& layout, ImageBuilder& builder, const CosignSigner& signer, const Args& a,
                     const std::string& repo, const oci::Digest& digest) {
  const auto signedPayload = signer.signImage(digest, a.registry + "/" + repo);
  const auto sig = buildSignatureManifest(digest, {signedPayload});
  std::vector<std::string> blobs;
  for (const auto& [d, bytes] : sig.blobs) blobs.push_back(bytes);
  auto built = builder.raw(RawManifest(sig.manifest, std::string(oci::media::kOciManifest), blobs));
  if (!built) return built.error();
  return pushImage(layout, *built, a.registry, repo, sig.tag);
}

// What cosign 3 writes by default: a Sigstore bundle (DSSE over an in-toto statement) as an OCI
// 1.1 referrer of the image, listed in the sha256-<hex> fallback index (docker-registry has no
// referrers API).
Status pushBundleSignature(OciLayout& layout, ImageBuilder& builder, const CosignSigner& signer, const Args& a,
                           const std::string& repo, const BuiltManifest& image) {
  ArtifactSpec spec;
  spec.artifactType = std::string(verify::kBundleMediaTypeV03);
  spec.layers.emplace_back(std::string(verify::kBundleMediaTypeV03), dsseBundle(signer, cosignStatement(image.digest)));
  spec.annotations["dev.sigstore.bundle.content"] = "dsse-envelope";
  spec.annotations["dev.sigstore.bundle.predicateType"] = std::string(verify::kCosignSignPredicate);
  spec.subject = image.descriptor();
  auto referrer = builder.artifact(spec);
  if (!referrer) return referrer.error();
  auto index = builder.referrersIndex({*referrer});
  if (!index) return index.error();
  return pushImage(layout, *index, a.registry, repo, image.digest.attachmentTag());
}

Status pushSidecar(OciLayout& layout, ImageBuilder& builder, const Args& a, const std::string& repo,
                   const std::string& kind) {
  ArtifactSpec spec;
  spec.artifactType =
      kind == "lock" ? std::string(oci::media::kLockArtifact) : std::string(oci::media::kPolicyArtifact);
  const std::string doc = kind == "lock" ? R"({"lock":{"repo":")" + repo + R"(","pinned":true}})"
                                         : R"({"policy":{"require_signature":true}})";
  spec.layers.emplace_back("application/json", doc);
  auto built = builder.artifact(spec);
  if (!built) return built.error();
  return pushImage(layout, *built, a.registry, repo, "autonomy." + kind);
}

}  // namespace

static int mainBody(int argc, char** argv) {
  Args a;
  CLI::App app{"imagegen: build and push a reproducible image workload"};
  app.add_option("--registry", a.registry, "destination registry host:port (plain HTTP, 127.0.0.1)")->required();
  app.add_option("--layout", a.layout, "scratch directory for the OCI layout")->required();
  app.add_option("--repos", a.repos, "single-platform repos to create")->default_val(3);
  app.add_option("--prefix", a.prefix, "repo name prefix, e.g. fleet/")->default_val("");
  app.add_option("--tag", a.tag, "tag for every image")->default_val("v1");
  app.add_option("--base-mib", a.baseMib, "size of the base layer every repo shares")->default_val(24);
  app.add_option("--unique-mib", a.uniqueMib, "size of each unique layer")->default_val(4);
  app.add_option("--unique-kib", a.uniqueKib, "size of each unique layer in KiB (instead of --unique-mib)");
  app.add_option("--unique-layers", a.uniqueLayers, "unique layers per repo")->default_val(2);
  app.add_option("--index-platforms", a.indexPlatforms, "platforms of the extra multi-platform repo (0: none)")
      ->default_val(2);
  app.add_option("--seed", a.seed, "changes every unique layer (a new version of each image)")->default_val(1);
  app.add_option("--sign-pub-out", a.pubKeyOut, "sign every image with a fresh P-256 key; write its public key here");
  app.add_option("--sign-format", a.signFormat,
                 "legacy (.sig tag, cosign 2), bundle (Sigstore bundle referrer, cosign 3) or mixed (alternating)")
      ->check(CLI::IsMember({"legacy", "bundle", "mixed"}))
      ->default_val("legacy");
  app.add_option("--sidecars", a.sidecars, "repos (by name) that also get autonomy.lock/autonomy.policy")
      ->delimiter(',');
  app.add_option("--sign-only", a.signOnly,
                 "repo@sha256:<hex> of an image already at the registry: give it a legacy .sig with the "
                 "--sign-pub-out key and build nothing else (repeatable)");
  CLI11_PARSE(app, argc, argv);

  auto layout = OciLayout::open(a.layout);
  if (!layout) return fail("open layout", layout.error());
  ImageBuilder builder(*layout);
  std::optional<CosignSigner> signer;
  if (!a.pubKeyOut.empty()) {
    signer.emplace(KeyKind::kEcdsaP256);
    std::ofstream(a.pubKeyOut) << signer->publicPem();
  }
  if (!a.signOnly.empty()) {
    if (!signer) return fail("--sign-only", makeError(ErrorCode::kUsage, "needs --sign-pub-out"));
    for (const auto& ref : a.signOnly) {
      const auto at = ref.find('@');
      auto digest = oci::Digest::parse(at == std::string::npos ? "" : ref.substr(at + 1));
      if (!digest) return fail("--sign-only " + ref, digest.error());
      if (auto st = pushSignature(*layout, builder, *signer, a, ref.substr(0, at), *digest); !st)
        return fail("sign " + ref, st.error());
      std::printf("signed %s/%s\n", a.registry.c_str(), ref.c_str());
    }
    return 0;
  }
  const LayerSpec base(a.baseMib * kMiB, 1000);
  const std::uint64_t uniqueBytes = a.uniqueKib > 0 ? a.uniqueKib * 1024 : a.uniqueMib * kMiB;
  std::size_t published = 0;
  auto publish = [&](const std::string& repo, const BuiltManifest& m) -> Status {
    if (auto st = pushImage(*layout, m, a.registry, repo, a.tag); !st) return st;
    const bool bundle = a.signFormat == "bundle" || (a.signFormat == "mixed" && published++ % 2 == 1);
    if (signer) {
      auto st = bundle ? pushBundleSignature(*layout, builder, *signer, a, repo, m)
                       : pushSignature(*layout, builder, *signer, a, repo, m.digest);
      if (!st) return st;
    }
    for (const auto& s : a.sidecars)
      if (s == repo)
        for (const char* kind : {"lock", "policy"})
          if (auto st = pushSidecar(*layout, builder, a, repo, kind); !st) return st;
    std::printf("%s/%s:%s %s%s\n", a.registry.c_str(), repo.c_str(), a.tag.c_str(), m.digest.str().c_str(),
                !signer ? "" : (bundle ? " (signed: sigstore bundle)" : " (signed: legacy .sig)"));
    return {};
  };
  for (std::size_t i = 0; i < a.repos; ++i) {
    std::vector<LayerSpec> layers{base};
    for (std::size_t k = 0; k < a.uniqueLayers; ++k) layers.emplace_back(uniqueBytes, a.seed * 100000 + i * 100 + k);
    auto image = builder.image(ImageSpec(layers));
    if (!image) return fail("build image", image.error());
    const std::string repo = a.prefix + "app-" + std::to_string(i);
    if (auto st = publish(repo, *image); !st) return fail("push " + repo, st.error());
  }
  if (a.indexPlatforms > 0) {
    static const std::vector<std::string> kPlatforms{"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux/riscv64"};
    std::vector<std::string> platforms(
        kPlatforms.begin(), kPlatforms.begin() + static_cast<long>(std::min(a.indexPlatforms, kPlatforms.size())));
    auto index = builder.index(multiPlatformSpec(platforms, {base, LayerSpec(uniqueBytes, a.seed * 100000 + 99)}));
    if (!index) return fail("build index", index.error());
    const std::string repo = a.prefix + "multi-arch";
    if (auto st = publish(repo, *index); !st) return fail("push " + repo, st.error());
  }
  return 0;
}

int main(int argc, char** argv) {
  return autonomy::guardedMain("imagegen", [&] { return mainBody(argc, argv); });
}
