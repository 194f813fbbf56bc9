#include "engine/copy/SeedRunner.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <map>

#include "engine/copy/Attachments.hpp"
#include "engine/copy/SourceSignatures.hpp"
#include "engine/copy/TreeCopier.hpp"
#include "engine/copy/VerificationCache.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

void applyStats(catalog::SeedRecord& r, const CopyStats& s) {
  r.blobsCopied = s.blobsCopied;
  r.blobsMounted = s.blobsMounted;
  r.blobsPresent = s.blobsPresent;
  r.bytesPresent = s.bytesPresent;
  r.bytesSent = s.bytesSent;
  r.manifestsPushed = s.manifestsPushed;
}

Task<Result<catalog::Verification>> maybeVerify(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                std::shared_ptr<const verify::TrustPolicy> trust,
                                                std::shared_ptr<const SignatureSources> sources) {
  if (!trust) co_return catalog::Verification{};
  if (!ctx->verdicts) co_return co_await verifySourceSignatures(ctx, repo, digest, trust, sources);
  const std::string key = VerificationCache::keyFor(digest, *sources, *trust);
  if (auto known = ctx->verdicts->find(key)) co_return *known;
  auto verdict = co_await verifySourceSignatures(ctx, repo, digest, trust, sources);
  if (verdict) ctx->verdicts->remember(key, *verdict);
  co_return verdict;
}

Task<Result<std::vector<Attachment>>> maybeSidecars(CopyContext* ctx, std::string repo, bool wanted, KnownTagsPtr known,
                                                    std::vector<std::string>* missing) {
  if (!wanted) co_return std::vector<Attachment>{};
  co_return co_await discoverSidecars(ctx, repo, known, missing);
}

// The seed proper; returns the error that failed it, if any, having filled `r` as far as it got.
Task<Status> seedSteps(CopyContext* ctx, SeedRequest req, CopyAdmission& admission, catalog::SeedRecord* r,
                       CopyStats* stats) {
  using namespace boost::asio::experimental::awaitable_operators;
  const auto& src = req.source;
  const auto& dst = req.dest;
  // 1. Resolve at the source, look at the destination and list the source's tags in the same
  // round trip (the listing spares a request for each attachment tag that is not there).
  const std::string srcRef = src.reference();
  const std::string destRef = dst.reference();
  auto [head, atDest, listing] = co_await (ctx->source->headManifest(src.repo, srcRef, ctx->cancel) &&
                                           ctx->dest->headManifest(dst.repo, destRef, ctx->cancel) &&
                                           ctx->source->listTags(src.repo, ctx->cancel));
  if (!head) co_return head.error().context("resolve " + r->source);
  // Without a listing (refused, unparsable) every attachment tag is asked for, as before.
  const KnownTagsPtr known = listing ? KnownTags::fromListing(std::move(*listing)) : KnownTags::unknown();
  if (src.digest && head->digest != *src.digest)
    co_return makeError(ErrorCode::kIntegrity,
                        "resolve " + r->source + ": registry answered digest " + head->digest.str());
  if (!atDest && atDest.error().code != ErrorCode::kNotFound)
    co_return atDest.error().context("check " + r->destination);
  const oci::Digest digest = head->digest;
  r->digest = digest.str();
  r->mediaType = head->mediaType;

  // 2. Look up the signatures, the attachment tags and sidecars at the source in one round trip,
  // then verify before anything is written to the destination (3. what travels is listed too).
  std::vector<std::string> missingSidecars;
  auto [sources, tags, sidecars] =
      co_await (lookupSignatureSources(ctx, src.repo, digest, known, req.trust != nullptr) &&
                discoverAttachmentTags(ctx, src.repo, digest, known) &&
                maybeSidecars(ctx, src.repo, req.copyPolicy, known, &missingSidecars));
  if (!sources) {
    if (req.trust) {  // the lookup is part of verifying: a failure is not "skipped"
      r->verification.skipped = false;
      r->verification.keyFingerprint = req.trust->key.fingerprint();
      r->verification.keyType = req.trust->key.describe();
    }
    co_return sources.error().context("look up signatures of " + src.str());
  }
  const auto found = std::make_shared<const SignatureSources>(std::move(*sources));
  auto verified = co_await maybeVerify(ctx, src.repo, digest, req.trust, found);
  if (!verified) {
    r->verification.skipped = false;  // checked, and it failed: never reported as "skipped"
    r->verification.keyFingerprint = req.trust->key.fingerprint();
    r->verification.keyType = req.trust->key.describe();
    co_return verified.error().context("verify " + src.str());
  }
  if (req.trust) r->verification = *verified;
  if (!tags) co_return tags.error().context("list attachments of " + src.str());
  auto attachments = attachmentSet(digest, *found, std::move(*tags), src.repo);
  if (!attachments) co_return attachments.error().context("list attachments of " + src.str());
  if (!sidecars) co_return sidecars.error().context("list sidecars of " + src.repo);
  for (const auto& kind : missingSidecars) r->sidecars.push_back({kind, "missing", ""});

  // Delta: up to date when the destination has the digest and everything that travels with it.
  const bool topPresent = atDest && atDest->digest == digest;
  if (topPresent) {
    std::vector<Attachment*> all;
    for (auto& a : attachments->items) all.push_back(&a);
    for (auto& s : *sidecars) all.push_back(&s);
    if (auto st = co_await markPresentAtDest(ctx, dst.repo, all); !st) co_return st;
  }
  bool allPresent = topPresent;
  for (const auto& a : attachments->items) allPresent = allPresent && a.presentAtDest;
  for (const auto& s : *sidecars) allPresent = allPresent && s.presentAtDest;
  if (allPresent) {
    for (const auto& a : attachments->items) r->attachments.push_back({a.kind, a.reference, a.digest.str(), "present"});
    for (const auto& s : *sidecars) r->sidecars.push_back({s.kind, "present", s.digest.str()});
    r->status = catalog::kStatusUpToDate;
    co_return Status{};
  }

  // Copies are bounded separately from checks: many repos can be looked at while few copy.
  auto ticket = co_await admission.admit(req.order, ctx->cancel);
  if (ticket.verdict == CopyAdmission::Verdict::kCancelled) co_return makeError(ErrorCode::kCancelled, "cancelled");
  if (ticket.verdict == CopyAdmission::Verdict::kStopped) {
    r->status = catalog::kStatusNotAttempted;
    co_return Status{};
  }

  // 4. Copy bottom-up: the image's blobs and children, then attachments and sidecars, then the tag.
  auto tree = co_await fetchTree(ctx, src.repo, digest.str());
  if (!tree) co_return tree.error().context("copy " + src.str());
  for (const auto& c : tree->children)
    for (const auto& d : tree->top.parsed.manifests)
      if (d.digest == c.info.digest && !d.platform.empty()) r->platforms.push_back(d.platform);
  if (auto st = co_await copyBelowTop(ctx, src.repo, dst.repo, &*tree, stats); !st)
    co_return st.error().context("copy " + src.str());

  std::vector<Attachment> apiReferrers;
  for (const auto& a : attachments->items) {
    if (!a.presentAtDest) {
      if (auto st = co_await copyAttachment(ctx, src.repo, dst.repo, a, stats); !st)
        co_return st.error().context("copy attachments of " + src.str());
    }
    if (a.kind == "referrer") apiReferrers.push_back(a);
    r->attachments.push_back({a.kind, a.reference, a.digest.str(), a.presentAtDest ? "present" : "copied"});
  }
  if (!apiReferrers.empty()) {
    if (auto st = co_await updateReferrersFallback(ctx, dst.repo, digest, apiReferrers); !st)
      co_return st.error().context("index referrers of " + dst.str());
  }
  for (const auto& s : *sidecars) {
    if (!s.presentAtDest) {
      if (auto st = co_await copyAttachment(ctx, src.repo, dst.repo, s, stats); !st)
        co_return st.error().context("copy sidecar " + s.reference);
    }
    r->sidecars.push_back({s.kind, s.presentAtDest ? "present" : "copied", s.digest.str()});
  }

  if (auto st = co_await pushTop(ctx, dst.repo, destRef, &*tree, stats); !st)
    co_return st.error().context("tag " + r->destination);
  r->status = catalog::kStatusCopied;
  co_return Status{};
}

}  // namespace

Task<CopyAdmission::Ticket> AdmitAll::admit(std::size_t, CancelTokenPtr) { co_return Ticket{}; }

Task<catalog::SeedRecord> runSeed(CopyContext* ctx, SeedRequest req, CopyAdmission& admission) {
  catalog::SeedRecord r;
  r.repo = req.dest.repo;
  r.tag = req.dest.tag;
  r.source = ctx->source->name() + "/" + req.source.str();
  r.destination = ctx->dest->name() + "/" + req.dest.str();
  r.startedAt = catalog::nowRfc3339();
  const auto t0 = std::chrono::steady_clock::now();
  if (ctx->progress) ctx->progress->repoStarted(r.repo);
  CopyStats stats;
  auto st = co_await seedSteps(ctx, req, admission, &r, &stats);
  applyStats(r, stats);
  if (!st) {
    r.error = st.error();
    const bool cancelled = st.error().code == ErrorCode::kCancelled || (ctx->cancel && ctx->cancel->cancelled());
    r.status = cancelled ? catalog::kStatusCancelled : catalog::kStatusFailed;
    if (cancelled) r.error->code = ErrorCode::kCancelled;
  }
  r.finishedAt = catalog::nowRfc3339();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ctx->progress) ctx->progress->repoFinished(r);
  co_return r;
}

}  // namespace autonomy::copy
