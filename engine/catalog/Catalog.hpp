#pragma once
// catalog.json: the roll-up of a run's seed records.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/catalog/SeedRecord.hpp"

namespace autonomy::catalog {

inline constexpr const char* kResultOk = "ok";
inline constexpr const char* kResultPartial = "partial";
inline constexpr const char* kResultFailed = "failed";

struct Catalog {
  std::string from;
  std::string to;
  std::string startedAt;
  std::string finishedAt;
  std::vector<SeedRecord> repos;

  // ok: every repo ok; failed: none ok; partial: some.
  std::string result() const;
};

nlohmann::json toJson(const Catalog& c);
Status writeCatalog(const std::filesystem::path& outDir, const Catalog& c);
// A catalog.json read back (the daemon's, fetched by `sync --via`); `origin` names it in errors.
Result<Catalog> catalogFromJson(const nlohmann::json& j, const std::string& origin);

// `registry seed-catalog`: every <dir>/**/seed.json rolled into one catalog (sorted by repo).
Result<Catalog> buildCatalogFromDir(const std::filesystem::path& outDir);

}  // namespace autonomy::catalog
