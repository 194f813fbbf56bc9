#include "engine/copy/SourceSignatures.hpp"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "engine/oci/MediaTypes.hpp"
#include "engine/verify/SignatureVerifier.hpp"
#include "engine/verify/SigstoreBundle.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

// With `body` false only the digest is asked for (HEAD): enough to know what travels.
Task<Result<std::optional<registry::FetchedManifest>>> manifestIfPresent(CopyContext* ctx, std::string repo,
                                                                         std::string tag, KnownTagsPtr known,
                                                                         bool body) {
  if (!known->mayExist(tag)) co_return std::optional<registry::FetchedManifest>{};
  if (!body) {
    auto head = co_await ctx->source->headManifest(repo, tag, ctx->cancel);
    if (!head) {
      if (head.error().code == ErrorCode::kNotFound) co_return std::optional<registry::FetchedManifest>{};
      co_return head.error();
    }
    co_return std::optional<registry::FetchedManifest>(registry::FetchedManifest{*head, {}});
  }
  auto m = co_await ctx->source->getManifest(repo, tag, ctx->cancel);
  if (!m) {
    if (m.error().code == ErrorCode::kNotFound) co_return std::optional<registry::FetchedManifest>{};
    co_return m.error();
  }
  co_return std::optional<registry::FetchedManifest>(std::move(*m));
}

constexpr std::uint64_t kMinFetchCost = 4096;

// A fetch that failed for this blob alone (absent, or not what its digest says): a reason to look
// further. Anything else (the link, auth, cancel) stops the verification.
bool onlyThisBlob(const Error& e) {
  return e.code == ErrorCode::kNotFound || e.code == ErrorCode::kIntegrity || e.code == ErrorCode::kVerification;
}

// What each format's search found, for the message when neither yields a valid signature.
struct Search {
  std::vector<std::string> reasons;
  std::uint64_t bytesExamined = 0;
  void note(std::string reason) { reasons.push_back(std::move(reason)); }
  std::string joined() const {
    std::string out;
    for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r;
    return out;
  }
};

catalog::Verification baseRecord(const verify::TrustPolicy& trust) {
  catalog::Verification v;
  v.skipped = false;
  v.keyFingerprint = trust.key.fingerprint();
  v.keyType = trust.key.describe();
  return v;
}

// Fetches a small blob within the per-image byte budget.
Task<Result<std::string>> fetchExamined(CopyContext* ctx, std::string repo, oci::Descriptor d, std::uint64_t limit,
                                        Search* search) {
  if (d.size > limit)
    co_return makeError(ErrorCode::kVerification, "is " + std::to_string(d.size) + " bytes; refusing to fetch");
  if (search->bytesExamined + d.size > kMaxSignatureBytesExamined)
    co_return makeError(ErrorCode::kVerification, "was not fetched: " + std::to_string(kMaxSignatureBytesExamined) +
                                                      " bytes of signatures examined already");
  auto blob = co_await ctx->source->getBlob(repo, d.digest, static_cast<std::size_t>(limit), ctx->cancel);
  // Every fetch costs at least kMinFetchCost: a thousand empty blobs are not free.
  search->bytesExamined += std::max<std::uint64_t>(blob ? blob->size() : 0, kMinFetchCost);
  if (!blob) co_return blob.error();
  co_return blob;
}

// The legacy format: simple-signing layers of the .sig manifest, verified as each arrives.
Task<std::optional<catalog::Verification>> tryLegacy(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                     std::shared_ptr<const verify::TrustPolicy> trust,
                                                     std::shared_ptr<const SignatureSources> sources, Search* search,
                                                     std::optional<Error>* hardError) {
  const std::string tag = digest.attachmentTag(".sig");
  if (!sources->sig) {
    search->note("no signature " + tag);
    co_return std::nullopt;
  }
  auto layers = verify::signatureLayersToFetch(sources->sig->bytes, sources->sig->info.mediaType);
  if (!layers) {
    search->note(tag + ": " + layers.error().message);
    co_return std::nullopt;
  }
  std::vector<std::string> reasons;
  std::set<std::tuple<oci::Digest, std::string, std::string>> tried;  // a repeated layer is not checked twice
  std::size_t checked = 0;
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const auto& layer = (*layers)[i];
    const auto sigIt = layer.annotations.find(std::string(verify::kSignatureAnnotation));
    const std::string sig = sigIt != layer.annotations.end() ? sigIt->second : "";
    const auto bundleIt = layer.annotations.find(std::string(verify::kBundleAnnotation));
    const std::string rekor = bundleIt != layer.annotations.end() ? bundleIt->second : "";
    if (!tried.insert({layer.digest, sig, rekor}).second) continue;
    if (++checked > kMaxSignatureLayersExamined) {
      reasons.push_back("stopped after " + std::to_string(kMaxSignatureLayersExamined) + " layers");
      break;
    }
    const std::string where = "layer " + std::to_string(i + 1);
    auto blob = co_await fetchExamined(ctx, repo, layer, verify::kMaxSignaturePayloadBytes, search);
    if (!blob) {
      if (!onlyThisBlob(blob.error())) {
        *hardError = blob.error().context("fetch signature payload " + layer.digest.shortStr());
        co_return std::nullopt;
      }
      reasons.push_back(where + " payload " + blob.error().message);
      continue;
    }
    auto ok = verify::verifySimpleSigningLayer(digest, *trust, verify::signatureLayer(layer, std::move(*blob)));
    if (!ok) {
      reasons.push_back(where + ": " + ok.error().message);
      continue;
    }
    auto v = baseRecord(*trust);
    v.format = catalog::kFormatSimpleSigning;
    v.signatureDigest = sources->sig->info.digest.str();
    v.identity = ok->identity;
    v.signaturesChecked = checked;
    v.rekorBundle = ok->hasRekorBundle();
    v.tlogEntries = ok->hasRekorBundle();
    v.tlogVerified = ok->tlogVerified;
    co_return v;
  }
  if (checked == 0)
    search->note(tag + " has no " + std::string(oci::media::kCosignSimpleSigning) + " layers");
  else
    search->note(verify::noValidSignature(digest, checked, 0, reasons).message + " (in " + tag + ")");
  co_return std::nullopt;
}

// Referrer manifests worth fetching: every index entry (the entry's artifactType is a hint only,
// cosign 3.0.x wrote a wrong one), those that say "bundle" first.
std::vector<oci::Descriptor> referrerCandidates(const oci::Manifest& index) {
  std::vector<oci::Descriptor> first;
  std::vector<oci::Descriptor> rest;
  std::set<oci::Digest> seen;
  for (const auto& m : index.manifests) {
    if (!seen.insert(m.digest).second) continue;
    (verify::isBundleMediaType(m.artifactType) ? first : rest).push_back(m);
  }
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

// The Sigstore bundle format: referrers of D whose manifest holds a bundle layer.
Task<std::optional<catalog::Verification>> tryBundles(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                      std::shared_ptr<const verify::TrustPolicy> trust,
                                                      std::shared_ptr<const SignatureSources> sources, Search* search,
                                                      std::optional<Error>* hardError) {
  const std::string where = sources->referrersFromApi ? "the referrers API" : "tag " + digest.attachmentTag();
  if (!sources->referrers) {
    search->note("no Sigstore bundle referrer of " + digest.shortStr() + " (referrers API and tag " +
                 digest.attachmentTag() + ")");
    co_return std::nullopt;
  }
  auto index = oci::parseManifest(*sources->referrers, oci::media::kOciIndex);
  if (!index || !index->isIndex) {
    search->note("referrers from " + where + " are not an OCI index" + (index ? "" : ": " + index.error().message));
    co_return std::nullopt;
  }
  std::vector<std::string> reasons;
  std::size_t examined = 0;
  std::size_t bundles = 0;
  std::set<oci::Digest> bundlesSeen;  // a bundle listed again (same digest) is not fetched again
  for (const auto& entry : referrerCandidates(*index)) {
    if (examined++ == kMaxReferrersExamined) {
      reasons.push_back("stopped after " + std::to_string(kMaxReferrersExamined) + " referrers");
      break;
    }
    const std::string name = "referrer " + entry.digest.shortStr();
    if (!oci::media::isImageManifest(entry.mediaType) && !entry.mediaType.empty()) continue;
    if (entry.size > kMaxReferrerManifestBytes) {
      reasons.push_back(name + " is " + std::to_string(entry.size) + " bytes; not examined");
      continue;
    }
    auto fetched = co_await ctx->source->getManifest(repo, entry.digest.str(), ctx->cancel);
    if (!fetched) {
      if (onlyThisBlob(fetched.error())) {
        reasons.push_back(name + ": " + fetched.error().message);
        continue;
      }
      *hardError = fetched.error().context("fetch " + name);
      co_return std::nullopt;
    }
    if (fetched->bytes.size() > kMaxReferrerManifestBytes) {  // the listed size was not the real one
      reasons.push_back(name + " is " + std::to_string(fetched->bytes.size()) + " bytes; not examined");
      continue;
    }
    auto m = oci::parseManifest(fetched->bytes, fetched->info.mediaType);
    if (!m || m->isIndex) continue;  // not a signature; the copier decides whether it travels
    if (!m->subject || m->subject->digest != digest) {
      reasons.push_back(name + " has another subject");
      continue;
    }
    for (const auto& layer : m->layers) {
      if (!verify::isBundleMediaType(layer.mediaType) || !bundlesSeen.insert(layer.digest).second) continue;
      if (++bundles > kMaxBundlesExamined) {
        reasons.push_back("stopped after " + std::to_string(kMaxBundlesExamined) + " bundles");
        break;
      }
      auto blob = co_await fetchExamined(ctx, repo, layer, verify::kMaxBundleBytes, search);
      if (!blob) {
        if (!onlyThisBlob(blob.error())) {
          *hardError = blob.error().context("fetch bundle of " + name);
          co_return std::nullopt;
        }
        reasons.push_back(name + ": bundle " + blob.error().message);
        continue;
      }
      auto ok = verify::verifyImageSignatureBundle(digest, *trust, *blob);
      if (!ok) {
        reasons.push_back(name + ": " + ok.error().message);
        continue;
      }
      auto v = baseRecord(*trust);
      v.format = catalog::kFormatSigstoreBundle;
      v.signatureDigest = fetched->info.digest.str();
      v.predicateType = ok->predicateType;
      v.signaturesChecked = bundles;
      v.tlogEntries = ok->hasTlog;
      v.timestamps = ok->hasTimestamps;
      v.tlogVerified = ok->tlogVerified;
      co_return v;
    }
    if (bundles > kMaxBundlesExamined) break;
  }
  if (bundles == 0 && reasons.empty())
    search->note("no Sigstore bundle among the " + std::to_string(index->manifests.size()) + " referrer(s) of " +
                 digest.shortStr() + " (" + where + ")");
  else
    search->note("no valid Sigstore bundle for " + digest.str() + " (" + where + "): " + Search{reasons, 0}.joined());
  co_return std::nullopt;
}

}  // namespace

Task<Result<SignatureSources>> lookupSignatureSources(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                      KnownTagsPtr known, bool forVerification) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto [sig, api, fallback] =
      co_await (manifestIfPresent(ctx, repo, digest.attachmentTag(".sig"), known, forVerification) &&
                ctx->source->getReferrers(repo, digest, ctx->cancel) &&
                manifestIfPresent(ctx, repo, digest.attachmentTag(), known, forVerification));
  if (!sig) co_return sig.error().context("look up " + digest.attachmentTag(".sig"));
  if (!api) co_return api.error().context("list referrers of " + digest.shortStr());
  SignatureSources out;
  out.sig = std::move(*sig);
  if (*api) {
    out.referrers = std::move(**api);
    out.referrersFromApi = true;
    co_return out;
  }
  if (!fallback) co_return fallback.error().context("look up " + digest.attachmentTag());
  if (*fallback) {
    out.fallbackTag = (*fallback)->info.digest;
    if (forVerification) out.referrers = std::move((*fallback)->bytes);
  }
  co_return out;
}

Task<Result<catalog::Verification>> verifySourceSignatures(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                           std::shared_ptr<const verify::TrustPolicy> trust,
                                                           std::shared_ptr<const SignatureSources> sources) {
  Search search;
  std::optional<Error> hardError;
  // The legacy signature first: its manifest is already here, so a signed image costs no more.
  auto legacy = co_await tryLegacy(ctx, repo, digest, trust, sources, &search, &hardError);
  if (legacy) co_return *legacy;
  if (hardError) co_return *hardError;
  auto bundle = co_await tryBundles(ctx, repo, digest, trust, sources, &search, &hardError);
  if (bundle) co_return *bundle;
  if (hardError) co_return *hardError;
  co_return makeError(ErrorCode::kVerification,
                      "no valid signature for " + digest.str() + " at " + ctx->source->name() + "/" + repo + ": " +
                          search.joined() + " (sign it with `cosign sign --key`; pass --skip-verify only for dev)");
}

}  // namespace autonomy::copy
