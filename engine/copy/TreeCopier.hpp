#pragma once
// A manifest and everything under it (an index's child manifests, every blob), copied
// bottom-up: blobs first, then child manifests by digest. The caller pushes the top last,
// so a tag never names content the destination does not fully hold.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/copy/BlobTransfer.hpp"
#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Manifest.hpp"

namespace autonomy::copy {

// Bounds on one tree (an image index, an attachment or referrers index): distinct manifests,
// their bytes (held until the top is pushed), and indexes nested in indexes.
inline constexpr std::size_t kMaxTreeManifests = 256;
inline constexpr std::uint64_t kMaxTreeBytes = 16u << 20;
inline constexpr std::size_t kMaxTreeDepth = 4;

struct ManifestNode {
  registry::ManifestInfo info;
  std::string bytes;  // exactly as the source served them: digests are preserved
  oci::Manifest parsed;
};

struct ManifestTree {
  ManifestNode top;
  // For an index: every manifest under it, once each, in push order (a nested index after its
  // own children).
  std::vector<ManifestNode> children;
  std::vector<oci::Descriptor> blobs() const;  // unique, in a stable order
};

// Fetches `reference` and, for an index, everything under it (nested indexes too); every digest
// is checked and the bounds above hold.
registry::Task<Result<ManifestTree>> fetchTree(CopyContext* ctx, std::string srcRepo, std::string reference);

// Blobs (bounded by limits.blobsPerRepo), then children by digest. Not the top.
registry::Task<Status> copyBelowTop(CopyContext* ctx, std::string srcRepo, std::string dstRepo,
                                    const ManifestTree* tree, CopyStats* stats);

// copyBelowTop at several peers at once: every blob is read from the source once for all the
// peers that lack it (ensureBlobAtPeers). A peer that fails drops out, its error in its result,
// while the others go on; the children go to each peer still standing.
registry::Task<void> copyBelowTopAtPeers(CopyContext* shared, std::string srcRepo, const ManifestTree* tree,
                                         std::vector<BlobPeer*> peers);

registry::Task<Status> pushTop(CopyContext* ctx, std::string dstRepo, std::string reference, const ManifestTree* tree,
                               CopyStats* stats);

}  // namespace autonomy::copy
