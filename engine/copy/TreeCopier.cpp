#include "engine/copy/TreeCopier.hpp"

#include <memory>
#include <set>

#include "engine/async/TaskGroup.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {

Task<Result<ManifestNode>> fetchNode(CopyContext* ctx, std::string repo, std::string reference) {
  auto m = co_await ctx->source->getManifest(repo, reference, ctx->cancel);
  if (!m) co_return m.error();
  auto parsed = oci::parseManifest(m->bytes, m->info.mediaType);
  if (!parsed)
    co_return parsed.error().context("manifest " + repo + "@" + m->info.digest.shortStr() + " from " +
                                     ctx->source->name());
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
};

std::vector<BlobPeer*> standing(const std::vector<BlobPeer*>& peers) {
  std::vector<BlobPeer*> out;
  for (auto* p : peers)
    if (p->result) out.push_back(p);
  return out;
}

Task<void> blobWorker(CopyContext* shared, std::string srcRepo, std::shared_ptr<BlobQueue> q,
                      std::vector<BlobPeer*> peers) {
  while (q->next < q->blobs.size()) {
    auto live = standing(peers);
    if (live.empty()) break;
    const auto desc = q->blobs[q->next++];
    co_await ensureBlobAtPeers(shared, srcRepo, desc, live);
    for (auto* p : live)
      if (p->ctx->progress) p->ctx->progress->blobDone(p->dstRepo, desc.digest, desc.size);
  }
}

Task<void> pushChildren(BlobPeer* peer, const ManifestTree* tree) {
  for (const auto& child : tree->children) {
    auto st = co_await peer->ctx->dest->putManifest(peer->dstRepo, child.info.digest.str(), child.bytes,
                                                    child.info.mediaType, peer->ctx->cancel);
    if (!st) {
      peer->fail(st);
      co_return;
    }
    ++peer->stats->manifestsPushed;
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

namespace {

// What one fetchTree() may hold, whatever the source lists: manifests are kept in memory until
// the top is pushed, so their count and bytes are bounded (README, "Limits").
struct TreeBudget {
  std::set<oci::Digest> seen;  // a child listed twice is fetched and pushed once
  std::size_t manifests = 0;
  std::uint64_t bytes = 0;
};

// Appends `digest`'s subtree to tree->children in push order (an index's children before it).
Task<Status> collectChild(CopyContext* ctx, std::string srcRepo, oci::Digest digest, std::size_t depth,
                          ManifestTree* tree, TreeBudget* budget) {
  if (!budget->seen.insert(digest).second) co_return Status{};
  if (++budget->manifests > kMaxTreeManifests)
    co_return makeError(ErrorCode::kIntegrity, "index " + srcRepo + "@" + tree->top.info.digest.shortStr() +
                                                   " lists more than " + std::to_string(kMaxTreeManifests) +
                                                   " distinct manifests; refusing to copy it");
  auto node = co_await fetchNode(ctx, srcRepo, digest.str());
  if (!node) co_return node.error();
  budget->bytes += node->bytes.size();
  if (budget->bytes > kMaxTreeBytes)
    co_return makeError(ErrorCode::kIntegrity, "index " + srcRepo + "@" + tree->top.info.digest.shortStr() +
                                                   " holds more than " + std::to_string(kMaxTreeBytes >> 20) +
                                                   " MiB of manifests; refusing to copy it");
  if (node->parsed.isIndex) {
    if (depth >= kMaxTreeDepth)
      co_return makeError(ErrorCode::kIntegrity, "index " + srcRepo + "@" + tree->top.info.digest.shortStr() +
                                                     " nests indexes deeper than " + std::to_string(kMaxTreeDepth) +
                                                     " levels; refusing to copy it");
    for (const auto& child : node->parsed.manifests) {
      auto st = co_await collectChild(ctx, srcRepo, child.digest, depth + 1, tree, budget);
      if (!st) co_return st;
    }
  }
  tree->children.push_back(std::move(*node));
  co_return Status{};
}

}  // namespace

Task<Result<ManifestTree>> fetchTree(CopyContext* ctx, std::string srcRepo, std::string reference) {
  auto top = co_await fetchNode(ctx, srcRepo, reference);
  if (!top) co_return top.error();
  ManifestTree tree;
  tree.top = std::move(*top);
  TreeBudget budget;
  budget.seen.insert(tree.top.info.digest);
  budget.bytes = tree.top.bytes.size();
  for (const auto& child : tree.top.parsed.manifests) {
    auto st = co_await collectChild(ctx, srcRepo, child.digest, 1, &tree, &budget);
    if (!st) co_return st.error();
  }
  co_return tree;
}

Task<void> copyBelowTopAtPeers(CopyContext* shared, std::string srcRepo, const ManifestTree* tree,
                               std::vector<BlobPeer*> peers) {
  auto queue = std::make_shared<BlobQueue>();
  queue->blobs = tree->blobs();
  std::uint64_t planned = 0;
  for (const auto& b : queue->blobs) planned += b.size;
  for (auto* p : peers)
    if (p->ctx->progress) p->ctx->progress->blobsPlanned(p->dstRepo, planned);
  const auto workers =
      std::min<std::size_t>(std::max<std::size_t>(1, shared->limits.blobsPerRepo), queue->blobs.size());
  {
    async::TaskGroup group(shared->source->executor());
    for (std::size_t i = 0; i < workers; ++i) group.spawn(blobWorker(shared, srcRepo, queue, peers));
    co_await group.wait();
  }
  auto live = standing(peers);
  if (live.size() == 1) {
    co_await pushChildren(live[0], tree);
    co_return;
  }
  async::TaskGroup pushing(shared->source->executor());
  for (auto* p : live) pushing.spawn(pushChildren(p, tree));
  co_await pushing.wait();
}

Task<Status> copyBelowTop(CopyContext* ctx, std::string srcRepo, std::string dstRepo, const ManifestTree* tree,
                          CopyStats* stats) {
  BlobPeer peer{ctx, std::move(dstRepo), stats, {}};
  std::vector<BlobPeer*> peers(1, &peer);
  co_await copyBelowTopAtPeers(ctx, std::move(srcRepo), tree, std::move(peers));
  co_return peer.result;
}

Task<Status> pushTop(CopyContext* ctx, std::string dstRepo, std::string reference, const ManifestTree* tree,
                     CopyStats* stats) {
  auto st = co_await ctx->dest->putManifest(dstRepo, reference, tree->top.bytes, tree->top.info.mediaType, ctx->cancel);
  if (st) ++stats->manifestsPushed;
  co_return st;
}

}  // namespace autonomy::copy
