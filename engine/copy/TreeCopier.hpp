#pragma once
// A manifest and everything under it (an index's child manifests, every blob), copied
// bottom-up: blobs first, then child manifests by digest. The caller pushes the top last,
// so a tag never names content the destination does not fully hold.
#include <string>
#include <vector>

#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Manifest.hpp"

namespace autonomy::copy {

struct ManifestNode {
  registry::ManifestInfo info;
  std::string bytes;  // exactly as the source served them: digests are preserved
  oci::Manifest parsed;
};

struct ManifestTree {
  ManifestNode top;
  std::vector<ManifestNode> children;          // for an index: every platform's manifest
  std::vector<oci::Descriptor> blobs() const;  // unique, in a stable order
};

// Fetches `reference` and, for an index, each child; every digest is checked.
registry::Task<Result<ManifestTree>> fetchTree(CopyContext* ctx, std::string srcRepo, std::string reference);

// Blobs (bounded by limits.blobsPerRepo), then children by digest. Not the top.
registry::Task<Status> copyBelowTop(CopyContext* ctx, std::string srcRepo, std::string dstRepo,
                                    const ManifestTree* tree, CopyStats* stats);

registry::Task<Status> pushTop(CopyContext* ctx, std::string dstRepo, std::string reference, const ManifestTree* tree,
                               CopyStats* stats);

}  // namespace autonomy::copy
