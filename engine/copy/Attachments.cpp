#include "engine/copy/Attachments.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/async/TaskGroup.hpp"
#include "engine/copy/TreeCopier.hpp"
#include "engine/core/BoundedJson.hpp"
#include "engine/oci/MediaTypes.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {
Task<Result<std::optional<oci::Digest>>> digestAtSource(CopyContext* ctx, std::string repo, std::string tag,
                                                        KnownTagsPtr known) {
  if (!known->mayExist(tag)) co_return std::optional<oci::Digest>{};
  auto head = co_await ctx->source->headManifest(repo, tag, ctx->cancel);
  if (!head) {
    if (head.error().code == ErrorCode::kNotFound) co_return std::optional<oci::Digest>{};
    co_return head.error();
  }
  co_return std::optional<oci::Digest>(head->digest);
}
}  // namespace

Task<Result<std::vector<Attachment>>> discoverAttachmentTags(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                             KnownTagsPtr known) {
  using namespace boost::asio::experimental::awaitable_operators;
  const std::string attTag = digest.attachmentTag(".att");
  const std::string sbomTag = digest.attachmentTag(".sbom");
  auto [att, sbom] = co_await (digestAtSource(ctx, repo, attTag, known) && digestAtSource(ctx, repo, sbomTag, known));
  std::vector<Attachment> out;
  const std::pair<const char*, Result<std::optional<oci::Digest>>*> cosign[] = {{"att", &att}, {"sbom", &sbom}};
  for (const auto& [kind, found] : cosign) {
    if (!*found) co_return found->error();
    if (**found) out.push_back({kind, digest.attachmentTag(std::string(".") + kind), ***found, false});
  }
  co_return out;
}

Result<AttachmentSet> attachmentSet(const oci::Digest& digest, const SignatureSources& sources,
                                    std::vector<Attachment> tags, const std::string& where) {
  AttachmentSet set;
  if (sources.sig) set.items.push_back({"sig", digest.attachmentTag(".sig"), sources.sig->info.digest, false});
  for (auto& t : tags) set.items.push_back(std::move(t));
  if (sources.referrersFromApi && sources.referrers) {
    set.referrersFromApi = true;
    auto index = oci::parseManifest(*sources.referrers, oci::media::kOciIndex);
    if (!index) return index.error().context("referrers of " + where + "@" + digest.shortStr());
    if (index->manifests.size() > kMaxReferrersCopied)
      return makeError(ErrorCode::kIntegrity, "referrers of " + where + "@" + digest.shortStr() +
                                                  ": the source lists " + std::to_string(index->manifests.size()) +
                                                  ", more than the " + std::to_string(kMaxReferrersCopied) +
                                                  " one image may carry");
    std::set<oci::Digest> seen;
    for (const auto& m : index->manifests) {
      if (!seen.insert(m.digest).second) continue;
      Attachment referrer("referrer", m.digest.str(), m.digest);
      referrer.artifactType = m.artifactType;
      referrer.annotations = m.annotations;
      set.items.push_back(std::move(referrer));
    }
  } else if (sources.fallbackTag) {
    set.items.push_back({"referrers-tag", digest.attachmentTag(), *sources.fallbackTag, false});
  }
  return set;
}

Task<Result<std::vector<Attachment>>> discoverSidecars(CopyContext* ctx, std::string repo, KnownTagsPtr known,
                                                       std::vector<std::string>* missing) {
  std::vector<Attachment> out;
  for (const auto& [kind, tag] : {std::pair{"lock", kLockTag}, std::pair{"policy", kPolicyTag}}) {
    auto d = co_await digestAtSource(ctx, repo, tag, known);
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
  async::TaskGroup group(ctx->dest->executor());
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

nlohmann::json fallbackIndexEntry(const Attachment& referrer, const std::string& mediaType, std::uint64_t size) {
  nlohmann::json entry = {{"mediaType", mediaType}, {"digest", referrer.digest.str()}, {"size", size}};
  if (!referrer.artifactType.empty()) entry["artifactType"] = referrer.artifactType;
  if (!referrer.annotations.empty()) entry["annotations"] = referrer.annotations;
  return entry;
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
    // The destination's own index, kept where it is one; bounded like anything a registry sends.
    auto j = parseBoundedJson(existing->bytes, JsonBounds{oci::kMaxManifestBytes, 16}, ErrorCode::kRegistry,
                              "fallback index");
    if (j && j->is_object() && j->contains("manifests") && (*j)["manifests"].is_array()) index = std::move(*j);
  } else if (existing.error().code != ErrorCode::kNotFound) {
    co_return existing.error();
  }
  bool changed = false;
  for (const auto& r : referrers) {
    bool listed = false;
    for (const auto& m : index["manifests"]) {
      const auto d = m.is_object() ? m.find("digest") : m.end();
      listed = listed || (d != m.end() && d->is_string() && d->get_ref<const std::string&>() == r.digest.str());
    }
    if (listed) continue;
    auto head = co_await ctx->dest->headManifest(dstRepo, r.digest.str(), ctx->cancel);
    if (!head) co_return head.error();
    index["manifests"].push_back(fallbackIndexEntry(r, head->mediaType, head->size));
    changed = true;
  }
  if (!changed) co_return Status{};
  co_return co_await ctx->dest->putManifest(dstRepo, tag, index.dump(), std::string(oci::media::kOciIndex),
                                            ctx->cancel);
}

}  // namespace autonomy::copy
