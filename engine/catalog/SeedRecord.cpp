#include "engine/catalog/SeedRecord.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/core/AtomicFile.hpp"
#include "engine/oci/Reference.hpp"

namespace autonomy::catalog {

using nlohmann::json;

std::string nowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

json toJson(const SeedRecord& r) {
  json j;
  j["repo"] = r.repo;
  j["tag"] = r.tag;
  j["source"] = r.source;
  j["destination"] = r.destination;
  j["digest"] = r.digest;
  j["media_type"] = r.mediaType;
  j["platforms"] = r.platforms;
  j["status"] = r.status;
  if (r.verification.skipped) {
    j["verification"] = "skipped";
  } else {
    const auto& v = r.verification;
    auto orNull = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    j["verification"] = {{"key_fingerprint", v.keyFingerprint},
                         {"key_type", v.keyType},
                         {"format", orNull(v.format)},
                         {"signature_digest", v.signatureDigest},
                         {"identity", v.identity},
                         {"predicate_type", orNull(v.predicateType)},
                         {"signatures_checked", v.signaturesChecked},
                         {"rekor_bundle", v.rekorBundle},
                         {"tlog_entries", v.tlogEntries},
                         {"timestamps", v.timestamps},
                         {"tlog_verified", v.tlogVerified}};
  }
  j["blobs"] = {{"copied", r.blobsCopied}, {"mounted", r.blobsMounted}, {"present", r.blobsPresent}};
  j["bytes_sent"] = r.bytesSent;
  j["bytes_present"] = r.bytesPresent;
  j["manifests_pushed"] = r.manifestsPushed;
  j["attachments"] = json::array();
  for (const auto& a : r.attachments)
    j["attachments"].push_back({{"kind", a.kind}, {"ref", a.ref}, {"digest", a.digest}, {"status", a.status}});
  j["sidecars"] = json::array();
  for (const auto& s : r.sidecars)
    j["sidecars"].push_back({{"kind", s.kind}, {"status", s.status}, {"digest", s.digest}});
  j["started_at"] = r.startedAt;
  j["finished_at"] = r.finishedAt;
  j["seconds"] = r.seconds;
  if (r.error)
    j["error"] = {{"code", std::string(errorCodeName(r.error->code))}, {"message", r.error->message}};
  else
    j["error"] = nullptr;
  return j;
}

namespace {
ErrorCode codeFromName(const std::string& name) {
  for (auto c :
       {ErrorCode::kUsage, ErrorCode::kConfig, ErrorCode::kNetwork, ErrorCode::kAuth, ErrorCode::kNotFound,
        ErrorCode::kRegistry, ErrorCode::kIntegrity, ErrorCode::kVerification, ErrorCode::kIo, ErrorCode::kCancelled})
    if (errorCodeName(c) == name) return c;
  return ErrorCode::kInternal;
}
}  // namespace

Result<SeedRecord> seedRecordFromJson(const json& j, const std::string& origin) {
  try {
    SeedRecord r;
    r.repo = j.at("repo").get<std::string>();
    r.tag = j.value("tag", "");
    r.source = j.value("source", "");
    r.destination = j.value("destination", "");
    r.digest = j.value("digest", "");
    r.mediaType = j.value("media_type", "");
    if (j.contains("platforms")) r.platforms = j["platforms"].get<std::vector<std::string>>();
    r.status = j.at("status").get<std::string>();
    const auto& v = j.at("verification");
    if (v.is_object()) {
      r.verification.skipped = false;
      r.verification.keyFingerprint = v.value("key_fingerprint", "");
      r.verification.keyType = v.value("key_type", "");
      r.verification.signatureDigest = v.value("signature_digest", "");
      r.verification.identity = v.value("identity", "");
      r.verification.signaturesChecked = v.value("signatures_checked", std::size_t{0});
      r.verification.rekorBundle = v.value("rekor_bundle", false);
      auto stringOrEmpty = [&v](const char* key) {
        const auto it = v.find(key);
        return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      r.verification.format = stringOrEmpty("format");
      r.verification.predicateType = stringOrEmpty("predicate_type");
      r.verification.tlogEntries = v.value("tlog_entries", false);
      r.verification.timestamps = v.value("timestamps", false);
      r.verification.tlogVerified = v.value("tlog_verified", false);
    }
    if (j.contains("blobs")) {
      r.blobsCopied = j["blobs"].value("copied", std::uint64_t{0});
      r.blobsMounted = j["blobs"].value("mounted", std::uint64_t{0});
      r.blobsPresent = j["blobs"].value("present", std::uint64_t{0});
    }
    r.bytesSent = j.value("bytes_sent", std::uint64_t{0});
    r.bytesPresent = j.value("bytes_present", std::uint64_t{0});
    r.manifestsPushed = j.value("manifests_pushed", std::uint64_t{0});
    for (const auto& a : j.value("attachments", json::array()))
      r.attachments.push_back({a.value("kind", ""), a.value("ref", ""), a.value("digest", ""), a.value("status", "")});
    for (const auto& s : j.value("sidecars", json::array()))
      r.sidecars.push_back({s.value("kind", ""), s.value("status", ""), s.value("digest", "")});
    r.startedAt = j.value("started_at", "");
    r.finishedAt = j.value("finished_at", "");
    r.seconds = j.value("seconds", 0.0);
    if (j.contains("error") && j["error"].is_object())
      r.error = makeError(codeFromName(j["error"].value("code", "")), j["error"].value("message", ""));
    return r;
  } catch (const json::exception& e) {
    return makeError(ErrorCode::kUsage, origin + " is not a seed record: " + e.what());
  }
}

Status checkRecordName(const std::string& repo) {
  if (auto st = oci::validateRepository(repo); !st) return st;
  // <out>/<repo>/seed.json beside <out>/catalog.json: a component named seed.json would turn
  // another repo's record into a directory, a first component catalog.json the roll-up.
  std::size_t start = 0;
  for (bool first = true;; first = false) {
    const auto slash = repo.find('/', start);
    const auto part =
        std::string_view(repo).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "seed.json" || (first && part == "catalog.json"))
      return makeError(ErrorCode::kUsage, "repository name " + repo + " has a component named " + std::string(part) +
                                              ", which the output layout reserves (<out>/catalog.json, "
                                              "<out>/<repo>/seed.json); rename the repository");
    if (slash == std::string::npos) return {};
    start = slash + 1;
  }
}

std::string recordReference(const SeedRecord& r) { return r.tag.empty() ? r.digest : r.tag; }

RecordLayout RecordLayout::of(const std::vector<SeedRecord>& records) {
  RecordLayout layout;
  for (const auto& r : records) layout.add(r.repo);
  return layout;
}

bool RecordLayout::several(const std::string& repo) const {
  const auto it = counts_.find(repo);
  return it != counts_.end() && it->second > 1;
}

std::filesystem::path RecordLayout::relativePath(const std::string& repo, const std::string& reference) const {
  // writers check the name first (checkRecordName); a reference is a tag or a digest, whose ':'
  // becomes '-' (a FAT stick takes no ':' in a file name)
  if (!several(repo)) return std::filesystem::path(repo) / "seed.json";
  std::string name = reference;
  std::replace(name.begin(), name.end(), ':', '-');
  return std::filesystem::path(repo) / ("seed@" + name + ".json");
}

bool isSeedRecordFile(const std::filesystem::path& file) {
  const auto name = file.filename().string();
  return name == "seed.json" || (name.starts_with("seed@") && name.ends_with(".json") && name.size() > 10);
}

std::filesystem::path seedRecordPath(const std::filesystem::path& outDir, const SeedRecord& r,
                                     const RecordLayout& layout) {
  return outDir / layout.relativePath(r);
}

Status writeSeedRecord(const std::filesystem::path& outDir, const SeedRecord& r, const RecordLayout& layout) {
  if (auto st = checkRecordName(r.repo); !st) return st.error().context("seed record");
  if (layout.several(r.repo) && recordReference(r).empty())
    return makeError(ErrorCode::kInternal, "seed record of " + r.repo + " names neither a tag nor a digest");
  return writeFileAtomically(seedRecordPath(outDir, r, layout), toJson(r).dump(2) + "\n");
}

Result<SeedRecord> readSeedRecord(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return makeError(ErrorCode::kIo, "cannot read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return makeError(ErrorCode::kUsage, file.string() + " is not valid JSON");
  return seedRecordFromJson(j, file.string());
}

}  // namespace autonomy::catalog
