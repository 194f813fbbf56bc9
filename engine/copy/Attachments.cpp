#include "engine/copy/Attachments.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <nlohmann/json.hpp>

#include "engine/copy/TreeCopier.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/registry/TaskGroup.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {
Task<Result<std::optional<oci::Digest>>> digestAtSource(CopyContext* ctx, std::string repo, std::string tag) {
  auto head = co_await ctx->source->headManifest(repo, tag, ctx->cancel);
  if (!head) {
    if (head.error().code == ErrorCode::kNotFound) co_return std::optional<oci::Digest>{};
    co_return head.error();
  }
  co_return std::optional<oci::Digest>(head->digest);
}
}  // namespace

namespace {
Task<Result<std::optional<oci::Digest>>> knownOrAtSource(CopyContext* ctx, std::string repo, std::string tag,
                                                         std::optional<oci::Digest> known) {
  if (known) co_return known;
  co_return co_await digestAtSource(ctx, repo, tag);
}
}  // namespace

Task<Result<AttachmentSet>> discoverAttachments(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                std::optional<oci::Digest> knownSig) {
  using namespace boost::asio::experimental::awaitable_operators;
  // Every lookup at once: on a far link this is one round trip instead of five.
  const std::string sigTag = digest.attachmentTag(".sig");
  const std::string attTag = digest.attachmentTag(".att");
  const std::string sbomTag = digest.attachmentTag(".sbom");
  const std::string fallbackTag = digest.attachmentTag();
  auto [sig, att, sbom, referrers, fallback] =
      co_await (knownOrAtSource(ctx, repo, sigTag, knownSig) && digestAtSource(ctx, repo, attTag) &&
                digestAtSource(ctx, repo, sbomTag) && ctx->source->getReferrers(repo, digest, ctx->cancel) &&
                digestAtSource(ctx, repo, fallbackTag));
  AttachmentSet set;
  const std::pair<const char*, Result<std::optional<oci::Digest>>*> cosign[] = {
      {"sig", &sig}, {"att", &att}, {"sbom", &sbom}};
  for (const auto& [kind, found] : cosign) {
    if (!*found) co_return found->error();
    if (**found) set.items.push_back({kind, digest.attachmentTag(std::string(".") + kind), ***found, false});
  }
  if (!referrers) co_return referrers.error();
  if (*referrers) {
    set.referrersFromApi = true;
    auto index = oci::parseManifest(**referrers, oci::media::kOciIndex);
    if (!index) co_return index.error().context("referrers of " + repo + "@" + digest.shortStr());
    for (const auto& m : index->manifests) set.items.push_back({"referrer", m.digest.str(), m.digest, false});
  } else {
    if (!fallback) co_return fallback.error();
    if (*fallback) set.items.push_back({"referrers-tag", fallbackTag, **fallback, false});
  }
  co_return set;
}

Task<Result<std::vector<Attachment>>> discoverSidecars(CopyContext* ctx, std::string repo,
                                                       std::vector<std::string>* missing) {
  std::vector<Attachment> out;
  for (const auto& [kind, tag] : {std::pair{"lock", kLockTag}, std::pair{"policy", kPolicyTag}}) {
    auto d = co_await digestAtSource(ctx, repo, tag);
    if (!d) co_return d.error();
    if (*d)
      out.push_back({kind, tag, **d, false});
    else
      missing->push_back(kind);
  }
  co_return out;
}

namespace {
Task<void> markOne(CopyContext* ctx, std::string dstRepo, Attachment* item, std::optional<Error>* failure) {
  auto head = co_await ctx->dest->headManifest(dstRepo, item->reference, ctx->cancel);
  if (!head && head.error().code != ErrorCode::kNotFound) {
    if (!*failure) *failure = head.error();
    co_return;
  }
  // A referrer is addressed by its digest, so existing is enough; a tag must name the same digest.
  item->presentAtDest = head.ok() && (item->kind == "referrer" || head->digest == item->digest);
}
}  // namespace

Task<Status> markPresentAtDest(CopyContext* ctx, std::string dstRepo, std::vector<Attachment*> items) {
  std::optional<Error> failure;
  registry::TaskGroup group(ctx->dest->executor());
  for (auto* item : items) group.spawn(markOne(ctx, dstRepo, item, &failure));
  co_await group.wait();
  if (failure) co_return *failure;
  co_return Status{};
}

Task<Status> copyAttachment(CopyContext* ctx, std::string srcRepo, std::string dstRepo, Attachment item,
                            CopyStats* stats) {
  auto tree = co_await fetchTree(ctx, srcRepo, item.digest.str());
  if (!tree) co_return tree.error().context("attachment " + item.reference);
  if (item.kind == "lock" || item.kind == "policy") {
    const auto want = item.kind == "lock" ? oci::media::kLockArtifact : oci::media::kPolicyArtifact;
    const auto& m = tree->top.parsed;
    const bool typed = m.artifactType == want || (m.config && m.config->mediaType == want);
    if (!typed)
      co_return makeError(ErrorCode::kIntegrity, "tag " + item.reference + " in " + srcRepo + " is not an " +
                                                     std::string(want) + " artifact (artifactType '" + m.artifactType +
                                                     "'); fix or delete the sidecar at the source");
  }
  if (auto st = co_await copyBelowTop(ctx, srcRepo, dstRepo, &*tree, stats); !st)
    co_return st.error().context("attachment " + item.reference);
  auto st = co_await pushTop(ctx, dstRepo, item.reference, &*tree, stats);
  if (!st) co_return st.error().context("attachment " + item.reference);
  co_return Status{};
}

Task<Status> updateReferrersFallback(CopyContext* ctx, std::string dstRepo, oci::Digest subject,
                                     std::vector<Attachment> referrers) {
  auto api = co_await ctx->dest->getReferrers(dstRepo, subject, ctx->cancel);
  if (!api) co_return api.error();
  if (*api) co_return Status{};  // the destination indexes referrers itself
  const std::string tag = subject.attachmentTag();
  nlohmann::json index = {
      {"schemaVersion", 2}, {"mediaType", oci::media::kOciIndex}, {"manifests", nlohmann::json::array()}};
  auto existing = co_await ctx->dest->getManifest(dstRepo, tag, ctx->cancel);
  if (existing) {
    auto j = nlohmann::json::parse(existing->bytes, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("manifests") && j["manifests"].is_array()) index = j;
  } else if (existing.error().code != ErrorCode::kNotFound) {
    co_return existing.error();
  }
  bool changed = false;
  for (const auto& r : referrers) {
    bool listed = false;
    for (const auto& m : index["manifests"]) listed = listed || m.value("digest", "") == r.digest.str();
    if (listed) continue;
    auto head = co_await ctx->dest->headManifest(dstRepo, r.digest.str(), ctx->cancel);
    if (!head) co_return head.error();
    index["manifests"].push_back({{"mediaType", head->mediaType}, {"digest", r.digest.str()}, {"size", head->size}});
    changed = true;
  }
  if (!changed) co_return Status{};
  co_return co_await ctx->dest->putManifest(dstRepo, tag, index.dump(), std::string(oci::media::kOciIndex),
                                            ctx->cancel);
}

}  // namespace autonomy::copy
