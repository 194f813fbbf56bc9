#pragma once
#include <vector>

#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Manifest.hpp"

namespace autonomy::copy {

// Makes blob `desc` present in dstRepo at the destination: already there, mounted from a repo
// that holds it, or streamed from the source with its digest and size checked before commit.
registry::Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                                  CopyStats* stats);

// One destination of a fanned-out blob: ctx->dest is the peer, ctx->ledger its ledger.
struct BlobPeer {
  CopyContext* ctx = nullptr;
  std::string dstRepo;
  CopyStats* stats = nullptr;
  Status result;  // the first failure at this peer; a failed peer takes no further part
  void fail(Status st) {
    if (!st && result) result = std::move(st);
  }
};

// ensureBlob at several peers at once: each finds it present or mounts it on its own; those that
// must be sent it share one read of the source (a BlobTee), so A serves the blob once.
registry::Task<void> ensureBlobAtPeers(CopyContext* shared, std::string srcRepo, oci::Descriptor desc,
                                       std::vector<BlobPeer*> peers);

}  // namespace autonomy::copy
