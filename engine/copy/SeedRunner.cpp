#include "engine/copy/SeedRunner.hpp"

#include <chrono>
#include <map>

#include "engine/copy/Attachments.hpp"
#include "engine/copy/TreeCopier.hpp"
#include "engine/verify/SignatureVerifier.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

struct VerifyOutcome {
  catalog::Verification record;
  std::optional<oci::Digest> sigDigest;
};

Task<Result<VerifyOutcome>> verifySource(CopyContext* ctx, std::string repo, oci::Digest digest,
                                         std::shared_ptr<const verify::PublicKey> key) {
  const std::string sigTag = digest.attachmentTag(".sig");
  const std::string where = ctx->source->host() + "/" + repo;
  auto sig = co_await ctx->source->getManifest(repo, sigTag, ctx->cancel);
  if (!sig) {
    if (sig.error().code == ErrorCode::kNotFound)
      co_return makeError(ErrorCode::kVerification,
                          "no signature " + sigTag + " at " + where + " for " + digest.str() +
                              " (sign it with `cosign sign --key`; pass --skip-verify only for dev)");
    co_return sig.error();
  }
  auto layers = verify::signatureLayersToFetch(sig->bytes, sig->info.mediaType);
  if (!layers) co_return layers.error();
  std::vector<verify::SignatureLayer> fetched;
  std::map<oci::Digest, std::string> blobs;  // identical payloads share one blob
  for (const auto& layer : *layers) {
    if (layer.size > verify::kMaxSignaturePayloadBytes)
      co_return makeError(ErrorCode::kVerification, "signature payload " + layer.digest.shortStr() + " in " + sigTag +
                                                        " is " + std::to_string(layer.size) + " bytes; refusing to fetch");
    auto it = blobs.find(layer.digest);
    if (it == blobs.end()) {
      auto blob = co_await ctx->source->getBlob(repo, layer.digest, verify::kMaxSignaturePayloadBytes, ctx->cancel);
      if (!blob) co_return blob.error().context("fetch signature payload");
      it = blobs.emplace(layer.digest, std::move(*blob)).first;
    }
    fetched.push_back(verify::signatureLayer(layer, it->second));
  }
  auto verified = verify::verifySignatures(digest, *key, fetched);
  if (!verified) co_return verified.error().context("signature " + sigTag + " at " + where);
  VerifyOutcome out;
  out.record.skipped = false;
  out.record.keyFingerprint = verified->keyFingerprint;
  out.record.keyType = verified->keyDescription;
  out.record.signatureDigest = sig->info.digest.str();
  out.record.identity = verified->identity;
  out.record.signaturesChecked = verified->signaturesChecked;
  out.record.rekorBundle = verified->hasRekorBundle();
  out.sigDigest = sig->info.digest;
  co_return out;
}

void applyStats(catalog::SeedRecord& r, const CopyStats& s) {
  r.blobsCopied = s.blobsCopied;
  r.blobsMounted = s.blobsMounted;
  r.blobsPresent = s.blobsPresent;
  r.bytesSent = s.bytesSent;
  r.manifestsPushed = s.manifestsPushed;
}

// The seed proper; returns the error that failed it, if any, having filled `r` as far as it got.
Task<Status> seedSteps(CopyContext* ctx, SeedRequest req, catalog::SeedRecord* r, CopyStats* stats) {
  const auto& src = req.source;
  const auto& dst = req.dest;
  // 1. Resolve.
  auto head = co_await ctx->source->headManifest(src.repo, src.reference(), ctx->cancel);
  if (!head) co_return head.error().context("resolve " + r->source);
  if (src.digest && head->digest != *src.digest)
    co_return makeError(ErrorCode::kIntegrity, "resolve " + r->source + ": registry answered digest " +
                                                   head->digest.str());
  const oci::Digest digest = head->digest;
  r->digest = digest.str();
  r->mediaType = head->mediaType;

  // 2. Verify before anything is written to the destination.
  std::optional<oci::Digest> sigDigest;
  if (req.key) {
    auto v = co_await verifySource(ctx, src.repo, digest, req.key);
    if (!v) co_return v.error().context("verify " + src.str());
    r->verification = v->record;
    sigDigest = v->sigDigest;
  }

  // 3. Delta: what travels with the image, and what the destination already has.
  auto attachments = co_await discoverAttachments(ctx, src.repo, digest, sigDigest);
  if (!attachments) co_return attachments.error().context("list attachments of " + src.str());
  std::vector<Attachment> sidecars;
  std::vector<std::string> missingSidecars;
  if (req.copyPolicy) {
    auto s = co_await discoverSidecars(ctx, src.repo, &missingSidecars);
    if (!s) co_return s.error().context("list sidecars of " + src.repo);
    sidecars = std::move(*s);
  }
  for (const auto& kind : missingSidecars) r->sidecars.push_back({kind, "missing", ""});

  const std::string destRef = dst.reference();
  auto atDest = co_await ctx->dest->headManifest(dst.repo, destRef, ctx->cancel);
  if (!atDest && atDest.error().code != ErrorCode::kNotFound) co_return atDest.error().context("check " + r->destination);
  const bool topPresent = atDest && atDest->digest == digest;
  if (topPresent) {
    if (auto st = co_await markPresentAtDest(ctx, dst.repo, &attachments->items); !st) co_return st;
    if (auto st = co_await markPresentAtDest(ctx, dst.repo, &sidecars); !st) co_return st;
  }
  bool allPresent = topPresent;
  for (const auto& a : attachments->items) allPresent = allPresent && a.presentAtDest;
  for (const auto& s : sidecars) allPresent = allPresent && s.presentAtDest;
  if (allPresent) {
    for (const auto& a : attachments->items) r->attachments.push_back({a.kind, a.reference, a.digest.str(), "present"});
    for (const auto& s : sidecars) r->sidecars.push_back({s.kind, "present", s.digest.str()});
    r->status = catalog::kStatusUpToDate;
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
  for (const auto& s : sidecars) {
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

Task<catalog::SeedRecord> runSeed(CopyContext* ctx, SeedRequest req) {
  catalog::SeedRecord r;
  r.repo = req.dest.repo;
  r.tag = req.dest.tag;
  r.source = ctx->source->host() + "/" + req.source.str();
  r.destination = ctx->dest->host() + "/" + req.dest.str();
  r.startedAt = catalog::nowRfc3339();
  const auto t0 = std::chrono::steady_clock::now();
  if (ctx->progress) ctx->progress->repoStarted(r.repo);
  CopyStats stats;
  auto st = co_await seedSteps(ctx, req, &r, &stats);
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
