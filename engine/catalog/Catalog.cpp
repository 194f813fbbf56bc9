#include "engine/catalog/Catalog.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "engine/core/AtomicFile.hpp"

namespace autonomy::catalog {

using nlohmann::json;

std::string Catalog::result() const {
  const auto okCount = std::count_if(repos.begin(), repos.end(), [](const SeedRecord& r) { return r.ok(); });
  if (okCount == static_cast<long>(repos.size())) return kResultOk;
  return okCount == 0 ? kResultFailed : kResultPartial;
}

json toJson(const Catalog& c) {
  json j;
  j["from"] = c.from;
  j["to"] = c.to;
  j["started_at"] = c.startedAt;
  j["finished_at"] = c.finishedAt;
  j["result"] = c.result();
  json counts = json::object();
  std::uint64_t bytes = 0;
  std::uint64_t present = 0;
  for (const auto& r : c.repos) {
    counts[r.status] = counts.value(r.status, 0) + 1;
    bytes += r.bytesSent;
    present += r.bytesPresent;
  }
  j["counts"] = counts;
  j["bytes_sent"] = bytes;
  j["bytes_present"] = present;
  j["repos"] = json::array();
  // A fan-out's records lie under a folder per peer, each with its own layout.
  const auto hosts = destinationHosts(c.repos);
  std::map<std::string, std::vector<SeedRecord>> byHost;
  for (const auto& r : c.repos) byHost[destinationHost(r)].push_back(r);
  std::map<std::string, RecordLayout> layouts;
  for (const auto& [host, records] : byHost) layouts[host] = RecordLayout::of(records);
  for (const auto& r : c.repos) {
    json line = toJson(r);
    const auto host = destinationHost(r);
    const auto rel = layouts[host].relativePath(r);
    line["seed"] = (hosts.size() > 1 ? std::filesystem::path(host) / rel : rel).string();
    j["repos"].push_back(std::move(line));
  }
  if (hosts.size() > 1) {
    j["peers"] = json::array();
    for (const auto& host : hosts) {
      Catalog one;
      one.repos = byHost[host];
      j["peers"].push_back({{"to", host}, {"result", one.result()}, {"repos", one.repos.size()}});
    }
  }
  return j;
}

std::string destinationHost(const SeedRecord& r) { return r.destination.substr(0, r.destination.find('/')); }

std::vector<std::string> destinationHosts(const std::vector<SeedRecord>& records) {
  std::vector<std::string> hosts;
  for (const auto& r : records)
    if (auto h = destinationHost(r); std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  return hosts;
}

Status writeCatalog(const std::filesystem::path& outDir, const Catalog& c) {
  return writeFileAtomically(outDir / "catalog.json", toJson(c).dump(2) + "\n");
}

Result<Catalog> catalogFromJson(const json& j, const std::string& origin) {
  if (!j.is_object() || !j.contains("repos") || !j["repos"].is_array())
    return makeError(ErrorCode::kIntegrity, origin + ": not a catalog (no repos array)");
  Catalog c;
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  c.from = text("from");
  c.to = text("to");
  c.startedAt = text("started_at");
  c.finishedAt = text("finished_at");
  for (const auto& line : j["repos"]) {
    auto r = seedRecordFromJson(line, origin);
    if (!r) return r.error();
    c.repos.push_back(std::move(*r));
  }
  return c;
}

Result<Catalog> buildCatalogFromDir(const std::filesystem::path& outDir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(outDir, ec))
    return makeError(ErrorCode::kUsage, "seed-catalog: " + outDir.string() + " is not a directory");
  Catalog c;
  for (auto it = std::filesystem::recursive_directory_iterator(outDir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || !isSeedRecordFile(it->path())) continue;
    auto r = readSeedRecord(it->path());
    if (!r) return r.error();
    c.repos.push_back(std::move(*r));
  }
  if (ec) return makeError(ErrorCode::kIo, "seed-catalog: reading " + outDir.string() + ": " + ec.message());
  std::sort(c.repos.begin(), c.repos.end(), [](const auto& a, const auto& b) {
    return std::tie(a.repo, a.tag, a.digest) < std::tie(b.repo, b.tag, b.digest);
  });
  for (const auto& host : destinationHosts(c.repos)) c.to += (c.to.empty() ? "" : ",") + host;
  for (const auto& r : c.repos) {
    if (c.from.empty()) c.from = r.source.substr(0, r.source.find('/'));
    if (!r.startedAt.empty() && (c.startedAt.empty() || r.startedAt < c.startedAt)) c.startedAt = r.startedAt;
    if (r.finishedAt > c.finishedAt) c.finishedAt = r.finishedAt;
  }
  return c;
}

}  // namespace autonomy::catalog
