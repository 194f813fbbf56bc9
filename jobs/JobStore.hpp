#pragma once
// Jobs and their per-repo tasks in SQLite (WAL) under the state dir, plus each schedule's last
// run. Opening after a crash puts jobs that were running back in the queue: their repos that
// had finished stay finished, the ones caught mid-copy go back to pending.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/copy/UploadJournal.hpp"
#include "engine/core/Error.hpp"
#include "jobs/JobTypes.hpp"

namespace autonomy::jobs {

class SqliteDb;

// Also the engine's upload journal: a blob upload in flight at a crash continues afterwards.
class JobStore : public copy::UploadJournal {
 public:
  static Result<std::unique_ptr<JobStore>> open(const std::filesystem::path& dbPath);
  ~JobStore() override;
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Jobs found running at open (and re-queued).
  std::size_t recoveredJobs() const { return recovered_; }

  // Inserts a queued job with one pending task per repo; record.id and createdAt must be set.
  Status insert(JobRecord& record);
  Result<std::optional<JobRecord>> find(const std::string& id);
  Result<std::optional<JobRecord>> findByIdempotencyKey(const std::string& key);
  // Newest first. An unknown `after` id is kNotFound.
  Result<std::vector<JobRecord>> list(const JobFilter& filter);
  // Queued jobs, oldest first.
  Result<std::vector<std::string>> queuedIds();

  Status setJobState(const std::string& id, std::string_view state);
  Status markStarted(const std::string& id, const std::string& startedAt);
  Status markFinished(const std::string& id, std::string_view state, const std::string& finishedAt);
  Status updateRepo(const std::string& id, const RepoTask& task);
  // What the job's selections chose, as pending repos after the ones it has, and the job marked
  // expanded, in one transaction (a restart never selects twice).
  Status addSelectedRepos(JobRecord& record, const std::vector<oci::RepoRef>& refs);

  Result<std::map<std::string, std::int64_t>> countJobsByState();

  // Deletes finished jobs beyond the newest `keepFinished`, and those finished before `cutoff`
  // (RFC 3339). Returns the ids removed, so their directories can go too.
  Result<std::vector<std::string>> prune(std::size_t keepFinished, const std::string& cutoff);

  // Unix seconds of a schedule's last run.
  Result<std::optional<std::int64_t>> scheduleLastRun(const std::string& name);
  Status setScheduleLastRun(const std::string& name, std::int64_t unixSeconds);

  // copy::UploadJournal (failures are logged: the journal only saves work, it never decides).
  std::optional<copy::UploadMark> find(const std::string& registry, const std::string& repo,
                                       const oci::Digest& digest) override;
  void record(const std::string& registry, const std::string& repo, const oci::Digest& digest,
              const copy::UploadMark& mark) override;
  void forget(const std::string& registry, const std::string& repo, const oci::Digest& digest) override;

 private:
  explicit JobStore(std::unique_ptr<SqliteDb> db);
  Status migrate();
  Status recover();
  Result<std::vector<JobRecord>> selectJobs(const std::string& where, const std::vector<std::string>& args,
                                            std::int64_t limit, bool withRepos = true);
  Status loadRepos(JobRecord& job);
  Status appendRepos(JobRecord& record, const std::vector<oci::RepoRef>& refs);  // inside a transaction

  std::unique_ptr<SqliteDb> db_;
  std::size_t recovered_ = 0;
};

}  // namespace autonomy::jobs
