#pragma once
// Where the signatures of digest D live at the source, looked up in one round trip, and their
// verification (SPEC §3): the legacy cosign tag sha256-<hex>.sig, and Sigstore bundles stored as
// OCI 1.1 referrers of D (the referrers API, else the index at tag sha256-<hex>). One valid
// signature in either format suffices. The same lookups tell the attachment copier what travels.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/catalog/SeedRecord.hpp"
#include "engine/copy/CopyContext.hpp"
#include "engine/copy/KnownTags.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::copy {

// Bounds on what a source may make the verifier examine (README, "Limits").
inline constexpr std::size_t kMaxSignatureLayersExamined = 64;          // simple-signing layers of one .sig
inline constexpr std::uint64_t kMaxSignatureBytesExamined = 16u << 20;  // payloads + bundles, per image
inline constexpr std::size_t kMaxReferrersExamined = 32;                // referrer manifests fetched per image
inline constexpr std::uint64_t kMaxReferrerManifestBytes = 64 * 1024;
inline constexpr std::size_t kMaxBundlesExamined = 16;  // distinct bundle blobs fetched per image

// Without forVerification the tags are only looked at (HEAD): sig->bytes is then empty, and so
// is `referrers` unless the referrers API answered.
struct SignatureSources {
  std::optional<registry::FetchedManifest> sig;  // the manifest at sha256-<hex>.sig
  std::optional<std::string> referrers;          // an OCI index listing D's referrers
  bool referrersFromApi = false;                 // ... answered by the referrers API
  std::optional<oci::Digest> fallbackTag;        // ... else the digest of the sha256-<hex> index
};

// Tags that `known` says are absent are not asked for.
registry::Task<Result<SignatureSources>> lookupSignatureSources(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                                KnownTagsPtr known, bool forVerification);

// Verifies D's signature from what lookupSignatureSources() found (fetching payloads, referrer
// manifests and bundles as needed, one at a time, within the bounds above). Errors are
// kVerification (or the registry error that stopped the lookup) and say what was looked for where.
registry::Task<Result<catalog::Verification>> verifySourceSignatures(CopyContext* ctx, std::string repo,
                                                                     oci::Digest digest,
                                                                     std::shared_ptr<const verify::TrustPolicy> trust,
                                                                     std::shared_ptr<const SignatureSources> sources);

}  // namespace autonomy::copy
