#pragma once
// seed.json: what happened to one repo. The CLI, the daemon and `seed-catalog` share it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/Error.hpp"

namespace autonomy::catalog {

inline constexpr const char* kStatusCopied = "copied";
inline constexpr const char* kStatusUpToDate = "up-to-date";
inline constexpr const char* kStatusFailed = "failed";
inline constexpr const char* kStatusNotAttempted = "not-attempted";
inline constexpr const char* kStatusCancelled = "cancelled";

inline constexpr const char* kFormatSimpleSigning = "simple-signing";    // legacy cosign .sig tag
inline constexpr const char* kFormatSigstoreBundle = "sigstore-bundle";  // cosign 3: bundle referrer

struct Verification {
  bool skipped = true;
  std::string keyFingerprint;   // sha256:<hex of DER SPKI>
  std::string keyType;          // "ECDSA P-256"
  std::string format;           // kFormat*, of the accepted signature; empty if none was accepted
  std::string signatureDigest;  // the accepted signature's manifest: the .sig manifest or the bundle referrer
  std::string identity;         // critical.identity.docker-reference (simple-signing)
  std::string predicateType;    // the statement's predicateType (sigstore-bundle)
  std::size_t signaturesChecked = 0;
  bool rekorBundle = false;   // a dev.sigstore.cosign/bundle annotation (simple-signing)
  bool tlogEntries = false;   // the accepted signature carries transparency-log entries
  bool timestamps = false;    // ... RFC 3161 timestamps (recorded, not checked)
  bool tlogVerified = false;  // a log entry was checked against --rekor-pub-key
};

struct AttachmentRecord {
  std::string kind;  // sig | att | sbom | referrer
  std::string ref;   // tag or digest at the destination
  std::string digest;
  std::string status;  // copied | present
};

struct SidecarRecord {
  std::string kind;    // lock | policy
  std::string status;  // copied | present | missing
  std::string digest;
};

struct SeedRecord {
  std::string repo;         // repository path (same at both ends for sync)
  std::string tag;          // tag requested, empty when by digest
  std::string source;       // "A/repo:tag"
  std::string destination;  // "B/repo:tag"
  std::string digest;
  std::string mediaType;
  std::vector<std::string> platforms;
  std::string status = kStatusNotAttempted;
  Verification verification;
  std::uint64_t blobsCopied = 0;
  std::uint64_t blobsMounted = 0;
  std::uint64_t blobsPresent = 0;
  std::uint64_t bytesSent = 0;
  std::uint64_t bytesPresent = 0;  // blob bytes not sent: the destination had them
  std::uint64_t manifestsPushed = 0;
  std::vector<AttachmentRecord> attachments;
  std::vector<SidecarRecord> sidecars;
  std::string startedAt;  // RFC 3339 UTC
  std::string finishedAt;
  double seconds = 0;
  std::optional<Error> error;

  bool ok() const { return status == kStatusCopied || status == kStatusUpToDate; }
};

nlohmann::json toJson(const SeedRecord& r);
Result<SeedRecord> seedRecordFromJson(const nlohmann::json& j, const std::string& origin);

// The repo name is usable as a record path: the name grammar (no "..", no leading '/') and no
// component that collides with the layout (a "seed.json" component, a first "catalog.json").
Status checkRecordName(const std::string& repo);

// The reference a record is for: its tag, else the digest it was pinned to.
std::string recordReference(const SeedRecord& r);

// Where a run's records go under its output folder. A repo the run copies one reference of keeps
// the seed's layout, <repo>/seed.json; a repo it copies several of (app:v1 and app:v2) has one
// file per reference instead: <repo>/seed@v1.json, <repo>/seed@v2.json, a digest as
// seed@sha256-<hex>.json ('@' is in no repo name, so no repo's folder can collide with them).
class RecordLayout {
 public:
  RecordLayout() = default;  // every repo once
  // Once per repo reference of the run.
  void add(const std::string& repo) { ++counts_[repo]; }
  static RecordLayout of(const std::vector<SeedRecord>& records);
  bool several(const std::string& repo) const;
  std::filesystem::path relativePath(const std::string& repo, const std::string& reference) const;
  std::filesystem::path relativePath(const SeedRecord& r) const { return relativePath(r.repo, recordReference(r)); }

 private:
  std::map<std::string, std::size_t> counts_;
};

// A record file's name: seed.json or seed@<reference>.json.
bool isSeedRecordFile(const std::filesystem::path& file);

// <dir>/<repo path>/seed.json, or seed@<reference>.json as `layout` says.
std::filesystem::path seedRecordPath(const std::filesystem::path& outDir, const SeedRecord& r,
                                     const RecordLayout& layout = {});
Status writeSeedRecord(const std::filesystem::path& outDir, const SeedRecord& r, const RecordLayout& layout = {});
Result<SeedRecord> readSeedRecord(const std::filesystem::path& file);

std::string nowRfc3339();

}  // namespace autonomy::catalog
