#pragma once
#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Manifest.hpp"

namespace autonomy::copy {

// Makes blob `desc` present in dstRepo at the destination: already there, mounted from a repo
// that holds it, or streamed from the source with its digest and size checked before commit.
registry::Task<Status> ensureBlob(CopyContext* ctx, std::string srcRepo, std::string dstRepo, oci::Descriptor desc,
                                  CopyStats* stats);

}  // namespace autonomy::copy
