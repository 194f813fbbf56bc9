#include "engine/copy/TreeCopier.hpp"

#include <memory>
#include <set>

#include "engine/copy/BlobTransfer.hpp"
#include "engine/registry/TaskGroup.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

Task<Result<ManifestNode>> fetchNode(CopyContext* ctx, std::string repo, std::string reference) {
  auto m = co_await ctx->source->getManifest(repo, reference, ctx->cancel);
  if (!m) co_return m.error();
  auto parsed = oci::parseManifest(m->bytes, m->info.mediaType);
  if (!parsed)
    co_return parsed.error().context("manifest " + repo + "@" + m->info.digest.shortStr() + " from " +
                                     ctx->source->host());
  ManifestNode node;
  node.info = m->info;
  node.info.mediaType = parsed->mediaType;
  node.bytes = std::move(m->bytes);
  node.parsed = std::move(*parsed);
  co_return node;
}

struct BlobQueue {
  std::vector<oci::Descriptor> blobs;
  std::size_t next = 0;
  std::optional<Error> failure;
};

Task<void> blobWorker(CopyContext* ctx, std::string srcRepo, std::string dstRepo, std::shared_ptr<BlobQueue> q,
                      CopyStats* stats) {
  while (!q->failure && q->next < q->blobs.size()) {
    const auto desc = q->blobs[q->next++];
    auto st = co_await ensureBlob(ctx, srcRepo, dstRepo, desc, stats);
    if (!st && !q->failure) q->failure = st.error();
  }
}

}  // namespace

std::vector<oci::Descriptor> ManifestTree::blobs() const {
  std::vector<oci::Descriptor> out;
  std::set<oci::Digest> seen;
  auto add = [&](const ManifestNode& n) {
    for (const auto& b : n.parsed.blobs())
      if (seen.insert(b.digest).second) out.push_back(b);
  };
  for (const auto& c : children) add(c);
  add(top);
  return out;
}

Task<Result<ManifestTree>> fetchTree(CopyContext* ctx, std::string srcRepo, std::string reference) {
  auto top = co_await fetchNode(ctx, srcRepo, reference);
  if (!top) co_return top.error();
  ManifestTree tree;
  tree.top = std::move(*top);
  for (const auto& child : tree.top.parsed.manifests) {
    auto node = co_await fetchNode(ctx, srcRepo, child.digest.str());
    if (!node) co_return node.error();
    if (node->parsed.isIndex)
      co_return makeError(ErrorCode::kIntegrity, "index " + srcRepo + "@" + tree.top.info.digest.shortStr() +
                                                     " nests another index; nested indexes are not copied");
    tree.children.push_back(std::move(*node));
  }
  co_return tree;
}

Task<Status> copyBelowTop(CopyContext* ctx, std::string srcRepo, std::string dstRepo, const ManifestTree* tree,
                          CopyStats* stats) {
  auto queue = std::make_shared<BlobQueue>();
  queue->blobs = tree->blobs();
  const auto workers = std::min<std::size_t>(std::max<std::size_t>(1, ctx->limits.blobsPerRepo), queue->blobs.size());
  registry::TaskGroup group(ctx->source->executor());
  for (std::size_t i = 0; i < workers; ++i) group.spawn(blobWorker(ctx, srcRepo, dstRepo, queue, stats));
  co_await group.wait();
  if (queue->failure) co_return *queue->failure;
  for (const auto& child : tree->children) {
    auto st = co_await ctx->dest->putManifest(dstRepo, child.info.digest.str(), child.bytes, child.info.mediaType,
                                              ctx->cancel);
    if (!st) co_return st;
    ++stats->manifestsPushed;
  }
  co_return Status{};
}

Task<Status> pushTop(CopyContext* ctx, std::string dstRepo, std::string reference, const ManifestTree* tree,
                     CopyStats* stats) {
  auto st = co_await ctx->dest->putManifest(dstRepo, reference, tree->top.bytes, tree->top.info.mediaType, ctx->cancel);
  if (st) ++stats->manifestsPushed;
  co_return st;
}

}  // namespace autonomy::copy
