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
  std::string to;  // a fan-out: its peers, comma-separated
  std::string startedAt;
  std::string finishedAt;
  std::vector<SeedRecord> repos;

  // ok: every repo ok; failed: none ok; partial: some.
  std::string result() const;
};

// With records of several destination hosts (a fan-out), each record's `seed` path starts with
// its peer's folder and a `peers` list gives each peer's result.
nlohmann::json toJson(const Catalog& c);
// The host (or `oci:`-style end) a record was written to: its destination up to the first '/'.
std::string destinationHost(const SeedRecord& r);
std::vector<std::string> destinationHosts(const std::vector<SeedRecord>& records);  // in first-seen order
Status writeCatalog(const std::filesystem::path& outDir, const Catalog& c);
// A catalog.json read back (the daemon's, fetched by `sync --via`); `origin` names it in errors.
Result<Catalog> catalogFromJson(const nlohmann::json& j, const std::string& origin);

// `registry seed-catalog`: every <dir>/**/seed.json rolled into one catalog (sorted by repo; a
// fan-out's folders of every peer together).
Result<Catalog> buildCatalogFromDir(const std::filesystem::path& outDir);

}  // namespace autonomy::catalog
