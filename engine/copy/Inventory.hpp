#pragma once
// What a registry already holds, for an export that leaves it out (the sneakernet delta):
// per repo, every blob of the tags asked about (index children included). Written by
// `registry inventory` on the far side, carried back, read by `sync --have`.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/copy/CopyContext.hpp"
#include "engine/oci/Reference.hpp"

namespace autonomy::copy {

struct Inventory {
  std::string registry;
  std::string takenAt;
  // repo -> blobs the registry holds in that repo (a repo's blobs are not another's: a
  // registry checks blob presence per repo).
  std::map<std::string, std::set<oci::Digest>> blobs;
};

// Reads the source's manifests of each ref; a tag the registry does not have adds nothing.
registry::Task<Result<Inventory>> takeInventory(CopyContext* ctx, std::vector<oci::RepoRef> refs);

Status writeInventory(const std::filesystem::path& path, const Inventory& inv);
// A clear kUsage error naming the file when it is missing, not JSON or not an inventory.
Result<Inventory> readInventory(const std::filesystem::path& path);

}  // namespace autonomy::copy
