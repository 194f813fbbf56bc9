#include "engine/copy/SeedRunner.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <map>

#include "engine/async/TaskGroup.hpp"
#include "engine/copy/Attachments.hpp"
#include "engine/copy/SourceSignatures.hpp"
#include "engine/copy/TreeCopier.hpp"
#include "engine/copy/VerificationCache.hpp"

namespace autonomy::copy {

using registry::ManifestInfo;
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

// One destination of a seed: the peer's context (its endpoint and ledger), its record, its counts.
struct Leg {
  explicit Leg(CopyContext* c) : ctx(c) {}
  CopyContext* ctx;
  catalog::SeedRecord r;
  CopyStats stats;
  Result<ManifestInfo> atDest;          // what the peer's tag names before the seed
  Status failure;                       // the first error at this peer; it then takes no further part
  bool finished = false;                // up to date, or not attempted: nothing more to do
  std::vector<Attachment> attachments;  // what travels, as this peer holds it (presentAtDest)
  std::vector<Attachment> sidecars;
  bool live() const { return failure && !finished; }
  void fail(Error e) {
    if (failure) failure = std::move(e);
  }
};

std::vector<Leg*> liveLegs(std::vector<Leg>& legs) {
  std::vector<Leg*> out;
  for (auto& l : legs)
    if (l.live()) out.push_back(&l);
  return out;
}

void failAll(std::vector<Leg>& legs, const Error& e) {
  for (auto* l : liveLegs(legs)) l->fail(e);
}

// Runs `step` for each leg at once (a fixed, small set: the run's peers); one leg on its own
// needs no spawn.
template <typename... Args>
Task<void> forEachLeg(std::vector<Leg*> legs, Task<void> (*step)(Leg*, Args...), std::type_identity_t<Args>... args) {
  if (legs.empty()) co_return;
  if (legs.size() == 1) {
    co_await step(legs[0], args...);
    co_return;
  }
  async::TaskGroup group(legs[0]->ctx->source->executor());
  for (auto* l : legs) group.spawn(step(l, args...));
  co_await group.wait();
}

Task<void> headAt(Leg* l, std::string repo, std::string reference) {
  l->atDest = co_await l->ctx->dest->headManifest(std::move(repo), std::move(reference), l->ctx->cancel);
}

// Each leg's HEAD at its peer, as one awaitable beside the source's requests (the value is only
// there so that it combines with them).
Task<bool> headAtLegs(std::vector<Leg*> legs, std::string repo, std::string reference) {
  co_await forEachLeg(std::move(legs), &headAt, std::move(repo), std::move(reference));
  co_return true;
}

void checked(Leg& l, const verify::TrustPolicy& trust) {
  l.r.verification.skipped = false;  // checked (or looked up): never reported as "skipped"
  l.r.verification.keyFingerprint = trust.key.fingerprint();
  l.r.verification.keyType = trust.key.describe();
}

// Delta at one peer: up to date when it has the digest and everything that travels with it.
Task<void> deltaAt(Leg* l, std::string dstRepo, oci::Digest digest) {
  const bool topPresent = l->atDest && l->atDest->digest == digest;
  if (topPresent) {
    std::vector<Attachment*> all;
    for (auto& a : l->attachments) all.push_back(&a);
    for (auto& s : l->sidecars) all.push_back(&s);
    if (auto st = co_await markPresentAtDest(l->ctx, dstRepo, all); !st) {
      l->fail(st.error());
      co_return;
    }
  }
  bool allPresent = topPresent;
  for (const auto& a : l->attachments) allPresent = allPresent && a.presentAtDest;
  for (const auto& s : l->sidecars) allPresent = allPresent && s.presentAtDest;
  if (!allPresent) co_return;
  for (const auto& a : l->attachments) l->r.attachments.push_back({a.kind, a.reference, a.digest.str(), "present"});
  for (const auto& s : l->sidecars) l->r.sidecars.push_back({s.kind, "present", s.digest.str()});
  l->r.status = catalog::kStatusUpToDate;
  l->finished = true;
}

// What follows the image's blobs at one peer: attachments, the referrers fallback, sidecars,
// and the tag last.
Task<Status> finishSteps(Leg* l, const SeedRequest& req, const ManifestTree* tree) {
  auto* ctx = l->ctx;
  const auto& src = req.source;
  const auto& dst = req.dest;
  std::vector<Attachment> apiReferrers;
  for (const auto& a : l->attachments) {
    if (!a.presentAtDest) {
      if (auto st = co_await copyAttachment(ctx, src.repo, dst.repo, a, &l->stats); !st)
        co_return st.error().context("copy attachments of " + src.str());
    }
    if (a.kind == "referrer") apiReferrers.push_back(a);
    l->r.attachments.push_back({a.kind, a.reference, a.digest.str(), a.presentAtDest ? "present" : "copied"});
  }
  if (!apiReferrers.empty()) {
    if (auto st = co_await updateReferrersFallback(ctx, dst.repo, tree->top.info.digest, apiReferrers); !st)
      co_return st.error().context("index referrers of " + dst.str());
  }
  for (const auto& s : l->sidecars) {
    if (!s.presentAtDest) {
      if (auto st = co_await copyAttachment(ctx, src.repo, dst.repo, s, &l->stats); !st)
        co_return st.error().context("copy sidecar " + s.reference);
    }
    l->r.sidecars.push_back({s.kind, s.presentAtDest ? "present" : "copied", s.digest.str()});
  }
  if (auto st = co_await pushTop(ctx, dst.repo, dst.reference(), tree, &l->stats); !st)
    co_return st.error().context("tag " + l->r.destination);
  l->r.status = catalog::kStatusCopied;
  co_return Status{};
}

Task<void> finishAt(Leg* l, const SeedRequest* req, const ManifestTree* tree) {
  if (auto st = co_await finishSteps(l, *req, tree); !st) l->fail(st.error());
}

// The seed proper, at every peer at once: the source is resolved, verified and read once; each
// leg ends failed (its `failure`), finished, or copied.
Task<void> seedSteps(CopyContext* shared, SeedRequest req, CopyAdmission& admission, std::vector<Leg>& legs) {
  using namespace boost::asio::experimental::awaitable_operators;
  const auto& src = req.source;
  const auto& dst = req.dest;
  const std::string& sourceName = legs[0].r.source;
  // 1. Resolve at the source, look at each destination and list the source's tags in the same
  // round trip (the listing spares a request for each attachment tag that is not there).
  const std::string srcRef = src.reference();
  const std::string destRef = dst.reference();
  auto [head, listing, looked] =
      co_await (shared->source->headManifest(src.repo, srcRef, shared->cancel) &&
                shared->source->listTags(src.repo, shared->cancel) && headAtLegs(liveLegs(legs), dst.repo, destRef));
  (void)looked;
  if (!head) co_return failAll(legs, head.error().context("resolve " + sourceName));
  // Without a listing (refused, unparsable) every attachment tag is asked for, as before.
  const KnownTagsPtr known = listing ? KnownTags::fromListing(std::move(*listing)) : KnownTags::unknown();
  if (src.digest && head->digest != *src.digest)
    co_return failAll(legs, makeError(ErrorCode::kIntegrity,
                                      "resolve " + sourceName + ": registry answered digest " + head->digest.str()));
  const oci::Digest digest = head->digest;
  for (auto& l : legs) {
    l.r.digest = digest.str();
    l.r.mediaType = head->mediaType;
    if (!l.atDest && l.atDest.error().code != ErrorCode::kNotFound)
      l.fail(l.atDest.error().context("check " + l.r.destination));
  }
  if (liveLegs(legs).empty()) co_return;

  // 2. Look up the signatures, the attachment tags and sidecars at the source in one round trip,
  // then verify before anything is written to a destination (3. what travels is listed too).
  std::vector<std::string> missingSidecars;
  auto [sources, tags, sidecars] =
      co_await (lookupSignatureSources(shared, src.repo, digest, known, req.trust != nullptr) &&
                discoverAttachmentTags(shared, src.repo, digest, known) &&
                maybeSidecars(shared, src.repo, req.copyPolicy, known, &missingSidecars));
  if (!sources) {
    if (req.trust)  // the lookup is part of verifying: a failure is not "skipped"
      for (auto* l : liveLegs(legs)) checked(*l, *req.trust);
    co_return failAll(legs, sources.error().context("look up signatures of " + src.str()));
  }
  const auto found = std::make_shared<const SignatureSources>(std::move(*sources));
  auto verified = co_await maybeVerify(shared, src.repo, digest, req.trust, found);
  if (!verified) {
    for (auto* l : liveLegs(legs)) checked(*l, *req.trust);
    co_return failAll(legs, verified.error().context("verify " + src.str()));
  }
  if (req.trust)
    for (auto* l : liveLegs(legs)) l->r.verification = *verified;
  if (!tags) co_return failAll(legs, tags.error().context("list attachments of " + src.str()));
  auto attachments = attachmentSet(digest, *found, std::move(*tags), src.repo);
  if (!attachments) co_return failAll(legs, attachments.error().context("list attachments of " + src.str()));
  if (!sidecars) co_return failAll(legs, sidecars.error().context("list sidecars of " + src.repo));

  // Delta, at each peer.
  for (auto* l : liveLegs(legs)) {
    for (const auto& kind : missingSidecars) l->r.sidecars.push_back({kind, "missing", ""});
    l->attachments = attachments->items;
    l->sidecars = *sidecars;
  }
  co_await forEachLeg(liveLegs(legs), &deltaAt, dst.repo, digest);
  if (liveLegs(legs).empty()) co_return;

  // Copies are bounded separately from checks: many repos can be looked at while few copy.
  auto ticket = co_await admission.admit(req.order, shared->cancel);
  if (ticket.verdict == CopyAdmission::Verdict::kCancelled)
    co_return failAll(legs, makeError(ErrorCode::kCancelled, "cancelled"));
  if (ticket.verdict == CopyAdmission::Verdict::kStopped) {
    for (auto* l : liveLegs(legs)) {
      l->r.status = catalog::kStatusNotAttempted;
      l->finished = true;
    }
    co_return;
  }

  // 4. Copy bottom-up: the image's blobs and children (read from the source once for every
  // peer), then attachments and sidecars, then the tag.
  auto tree = co_await fetchTree(shared, src.repo, digest.str());
  if (!tree) co_return failAll(legs, tree.error().context("copy " + src.str()));
  std::vector<std::string> platforms;
  for (const auto& c : tree->children)
    for (const auto& d : tree->top.parsed.manifests)
      if (d.digest == c.info.digest && !d.platform.empty()) platforms.push_back(d.platform);
  auto copying = liveLegs(legs);
  std::vector<BlobPeer> peers;
  peers.reserve(copying.size());
  for (auto* l : copying) {
    l->r.platforms = platforms;
    peers.push_back(BlobPeer{l->ctx, dst.repo, &l->stats, {}});
  }
  std::vector<BlobPeer*> peerPtrs;
  peerPtrs.reserve(peers.size());
  for (auto& p : peers) peerPtrs.push_back(&p);
  co_await copyBelowTopAtPeers(shared, src.repo, &*tree, peerPtrs);
  for (std::size_t i = 0; i < copying.size(); ++i)
    if (!peers[i].result) copying[i]->fail(peers[i].result.error().context("copy " + src.str()));

  co_await forEachLeg(liveLegs(legs), &finishAt, &req, &*tree);
}

}  // namespace

Task<CopyAdmission::Ticket> AdmitAll::admit(std::size_t, CancelTokenPtr) { co_return Ticket{}; }

Task<std::vector<catalog::SeedRecord>> runFanOutSeed(CopyContext* shared, std::vector<CopyContext*> peers,
                                                     SeedRequest req, CopyAdmission& admission) {
  std::vector<Leg> legs;
  legs.reserve(peers.size());
  const auto t0 = std::chrono::steady_clock::now();
  for (auto* ctx : peers) {
    auto& l = legs.emplace_back(ctx);
    l.r.repo = req.dest.repo;
    l.r.tag = req.dest.tag;
    l.r.source = shared->source->name() + "/" + req.source.str();
    l.r.destination = ctx->dest->name() + "/" + req.dest.str();
    l.r.startedAt = catalog::nowRfc3339();
    if (ctx->progress) ctx->progress->repoStarted(l.r.repo);
  }
  co_await seedSteps(shared, req, admission, legs);
  std::vector<catalog::SeedRecord> out;
  for (auto& l : legs) {
    auto& r = l.r;
    applyStats(r, l.stats);
    if (!l.failure) {
      r.error = l.failure.error();
      const bool cancelled =
          l.failure.error().code == ErrorCode::kCancelled || (shared->cancel && shared->cancel->cancelled());
      r.status = cancelled ? catalog::kStatusCancelled : catalog::kStatusFailed;
      if (cancelled) r.error->code = ErrorCode::kCancelled;
    }
    r.finishedAt = catalog::nowRfc3339();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (l.ctx->progress) l.ctx->progress->repoFinished(r);
    out.push_back(std::move(r));
  }
  co_return out;
}

Task<catalog::SeedRecord> runSeed(CopyContext* ctx, SeedRequest req, CopyAdmission& admission) {
  std::vector<CopyContext*> peers(1, ctx);  // (a braced list here trips GCC 12's coroutines)
  auto records = co_await runFanOutSeed(ctx, std::move(peers), std::move(req), admission);
  co_return std::move(records.front());
}

}  // namespace autonomy::copy
