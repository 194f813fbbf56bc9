#pragma once
// What travels with an image: cosign tags (sha256-<hex>.sig/.att/.sbom), OCI 1.1 referrers
// (API, else the sha256-<hex> fallback tag) and, on request, the repo's lock/policy sidecars.
#include <optional>
#include <string>
#include <vector>

#include "engine/copy/CopyContext.hpp"

namespace autonomy::copy {

struct Attachment {
  std::string kind;       // sig | att | sbom | referrers-tag | referrer | lock | policy
  std::string reference;  // a tag, or a digest for API referrers
  oci::Digest digest;     // at the source
  bool presentAtDest = false;
};

struct AttachmentSet {
  std::vector<Attachment> items;
  bool referrersFromApi = false;  // the source answered the referrers API
};

inline constexpr const char* kLockTag = "autonomy.lock";
inline constexpr const char* kPolicyTag = "autonomy.policy";

// Looks at the source for everything attached to `digest` in `repo`. `knownSig` skips a
// lookup the verifier already made.
registry::Task<Result<AttachmentSet>> discoverAttachments(CopyContext* ctx, std::string repo, oci::Digest digest,
                                                          std::optional<oci::Digest> knownSig);

// The sidecar tags present at the source; absent ones are listed in `missing`.
registry::Task<Result<std::vector<Attachment>>> discoverSidecars(CopyContext* ctx, std::string repo,
                                                                 std::vector<std::string>* missing);

// Marks each item presentAtDest when dstRepo holds the same digest under the same reference
// (all lookups at once).
registry::Task<Status> markPresentAtDest(CopyContext* ctx, std::string dstRepo, std::vector<Attachment*> items);

// Copies one attachment (its tree, then its tag or digest) from srcRepo to dstRepo.
registry::Task<Status> copyAttachment(CopyContext* ctx, std::string srcRepo, std::string dstRepo, Attachment item,
                                      CopyStats* stats);

// Where the destination lacks the referrers API, records copied referrers in its fallback tag.
registry::Task<Status> updateReferrersFallback(CopyContext* ctx, std::string dstRepo, oci::Digest subject,
                                               std::vector<Attachment> referrers);

}  // namespace autonomy::copy
