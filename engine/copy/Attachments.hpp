#pragma once
// What travels with an image: cosign tags (sha256-<hex>.sig/.att/.sbom), OCI 1.1 referrers
// (API, else the sha256-<hex> fallback tag) and, on request, the repo's lock/policy sidecars.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/copy/CopyContext.hpp"
#include "engine/copy/SourceSignatures.hpp"
#include "engine/oci/TagSelection.hpp"

namespace autonomy::copy {

struct Attachment {
  Attachment(std::string k, std::string ref, oci::Digest d, bool present = false)
      : kind(std::move(k)), reference(std::move(ref)), digest(std::move(d)), presentAtDest(present) {}

  std::string kind;       // sig | att | sbom | referrers-tag | referrer | lock | policy
  std::string reference;  // a tag, or a digest for API referrers
  oci::Digest digest;     // at the source
  bool presentAtDest = false;
  // API referrers: how the source's referrers list describes it (artifactType, annotations),
  // repeated in the destination's fallback index, where clients filter by artifactType.
  std::string artifactType;
  std::map<std::string, std::string> annotations;
};

// The destination's fallback index entry for a referrer copied there (mediaType and size as the
// destination reports them).
nlohmann::json fallbackIndexEntry(const Attachment& referrer, const std::string& mediaType, std::uint64_t size);

struct AttachmentSet {
  std::vector<Attachment> items;
  bool referrersFromApi = false;  // the source answered the referrers API
};

// Referrers of one image that travel with it (the referrers API may list any number).
inline constexpr std::size_t kMaxReferrersCopied = 256;

using oci::kLockTag;  // the sidecar tags (selections never pick them)
using oci::kPolicyTag;

// The cosign attachment tags the signature lookup does not cover (.att, .sbom) present at the
// source for `digest` (both lookups at once; none for a tag `known` lacks).
registry::Task<Result<std::vector<Attachment>>> discoverAttachmentTags(CopyContext* ctx, std::string repo,
                                                                       oci::Digest digest, KnownTagsPtr known);

// Everything attached to `digest`: the .sig tag and referrers the signature lookup found, plus
// the attachment tags. An unparsable referrers answer is an error naming `where`.
Result<AttachmentSet> attachmentSet(const oci::Digest& digest, const SignatureSources& sources,
                                    std::vector<Attachment> tags, const std::string& where);

// The sidecar tags present at the source; absent ones are listed in `missing`.
registry::Task<Result<std::vector<Attachment>>> discoverSidecars(CopyContext* ctx, std::string repo, KnownTagsPtr known,
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
