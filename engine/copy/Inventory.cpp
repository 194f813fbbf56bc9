#include "engine/copy/Inventory.hpp"

#include <fstream>
#include <sstream>

#include "engine/catalog/SeedRecord.hpp"
#include "engine/copy/TreeCopier.hpp"
#include "engine/core/AtomicFile.hpp"
#include "engine/core/BoundedJson.hpp"

namespace autonomy::copy {

namespace {
constexpr JsonBounds kInventoryBounds{256u << 20, 8};
}

registry::Task<Result<Inventory>> takeInventory(CopyContext* ctx, std::vector<oci::RepoRef> refs) {
  Inventory inv;
  inv.registry = ctx->source->name();
  inv.takenAt = catalog::nowRfc3339();
  for (const auto& ref : refs) {
    auto& held = inv.blobs[ref.repo];
    auto head = co_await ctx->source->headManifest(ref.repo, ref.reference(), ctx->cancel);
    if (!head) {
      if (head.error().code == ErrorCode::kNotFound) continue;  // nothing of it there yet
      co_return head.error().context("inventory of " + inv.registry + "/" + ref.str());
    }
    auto tree = co_await fetchTree(ctx, ref.repo, head->digest.str());
    if (!tree) co_return tree.error().context("inventory of " + inv.registry + "/" + ref.str());
    for (const auto& b : tree->blobs()) held.insert(b.digest);
  }
  co_return inv;
}

Status writeInventory(const std::filesystem::path& path, const Inventory& inv) {
  nlohmann::ordered_json j;
  j["kind"] = "autonomy-inventory";
  j["registry"] = inv.registry;
  j["taken_at"] = inv.takenAt;
  j["repos"] = nlohmann::ordered_json::object();
  for (const auto& [repo, blobs] : inv.blobs) {
    auto& list = j["repos"][repo] = nlohmann::ordered_json::array();
    for (const auto& d : blobs) list.push_back(d.str());
  }
  return writeFileAtomically(path, j.dump(2) + "\n");
}

Result<Inventory> readInventory(const std::filesystem::path& path) {
  const std::string where = "--have " + path.string();
  std::ifstream in(path);
  if (!in) return makeError(ErrorCode::kUsage, where + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = parseBoundedJson(ss.str(), kInventoryBounds, ErrorCode::kUsage, where);
  if (!j) return j.error();
  if (!j->is_object() || j->value("kind", "") != "autonomy-inventory" || !(*j)["repos"].is_object())
    return makeError(ErrorCode::kUsage,
                     where + " is not an inventory (make one with `autonomy registry inventory` on the far side)");
  Inventory inv;
  inv.registry = j->value("registry", "");
  inv.takenAt = j->value("taken_at", "");
  for (const auto& [repo, list] : (*j)["repos"].items()) {
    if (!list.is_array()) return makeError(ErrorCode::kUsage, where + ": repos." + repo + " is not a list");
    auto& held = inv.blobs[repo];
    for (const auto& d : list) {
      auto digest = d.is_string() ? oci::Digest::parse(d.get<std::string>())
                                  : Result<oci::Digest>(makeError(ErrorCode::kUsage, "not a string"));
      if (!digest)
        return makeError(ErrorCode::kUsage, where + ": repos." + repo + " holds " + d.dump() + ", not a digest");
      held.insert(*digest);
    }
  }
  return inv;
}

}  // namespace autonomy::copy
