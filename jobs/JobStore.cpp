#include "jobs/JobStore.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "jobs/Sqlite.hpp"

namespace autonomy::jobs {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  from_registry TEXT NOT NULL,
  to_registry TEXT NOT NULL,
  options TEXT NOT NULL,
  idempotency_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq);
CREATE TABLE IF NOT EXISTS job_repos (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  ref TEXT NOT NULL,
  repo TEXT NOT NULL,
  tag TEXT NOT NULL,
  state TEXT NOT NULL,
  digest TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT 0,
  blobs_copied INTEGER NOT NULL DEFAULT 0,
  blobs_mounted INTEGER NOT NULL DEFAULT 0,
  blobs_present INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  last_run INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
  registry TEXT NOT NULL,
  repo TEXT NOT NULL,
  digest TEXT NOT NULL,
  location TEXT NOT NULL,
  committed INTEGER NOT NULL,
  PRIMARY KEY (registry, repo, digest)
);
PRAGMA user_version = 1;
)sql";

constexpr const char* kJobColumns =
    "seq, id, state, created_at, started_at, finished_at, from_registry, to_registry, options, idempotency_key";

ErrorCode errorCodeFromName(const std::string& name) {
  static constexpr std::array kCodes{ErrorCode::kUsage,     ErrorCode::kConfig,       ErrorCode::kNetwork,
                                     ErrorCode::kAuth,      ErrorCode::kNotFound,     ErrorCode::kRegistry,
                                     ErrorCode::kIntegrity, ErrorCode::kVerification, ErrorCode::kIo,
                                     ErrorCode::kCancelled, ErrorCode::kInternal};
  for (auto c : kCodes)
    if (errorCodeName(c) == name) return c;
  return ErrorCode::kInternal;
}

std::optional<std::string> nonEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

JobStore::JobStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
JobStore::~JobStore() = default;

Result<std::unique_ptr<JobStore>> JobStore::open(const std::filesystem::path& dbPath) {
  std::error_code ec;
  std::filesystem::create_directories(dbPath.parent_path(), ec);
  if (ec) return makeError(ErrorCode::kIo, "state dir " + dbPath.parent_path().string() + ": " + ec.message());
  auto db = SqliteDb::open(dbPath);
  if (!db) return db.error();
  std::unique_ptr<JobStore> store(new JobStore(std::move(*db)));
  if (auto st = store->migrate(); !st) return st.error();
  if (auto st = store->recover(); !st) return st.error();
  return store;
}

Status JobStore::migrate() { return db_->exec(kSchema); }

Status JobStore::recover() {
  SqliteDb::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun();
  if (auto st = db_->exec("UPDATE jobs SET state = 'queued' WHERE state = 'running'"); !st) return st;
  recovered_ = static_cast<std::size_t>(db_->changes());
  if (auto st = db_->exec("UPDATE job_repos SET state = 'pending', started_at = NULL WHERE state = 'running'"); !st)
    return st;
  return tx.commit();
}

Status JobStore::insert(JobRecord& record) {
  SqliteDb::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun();
  auto stmt = db_->prepare(
      "INSERT INTO jobs (id, state, created_at, from_registry, to_registry, options, idempotency_key) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) return stmt.error();
  stmt->bind(1, record.id).bind(2, record.state).bind(3, record.createdAt).bind(4, record.spec.from);
  stmt->bind(5, record.spec.to).bind(6, optionsToJson(record.spec).dump()).bindOptional(7, record.spec.idempotencyKey);
  if (auto st = stmt->run(); !st) return st;
  auto seq = db_->prepare("SELECT seq FROM jobs WHERE id = ?1");
  if (!seq) return seq.error();
  seq->bind(1, record.id);
  if (auto row = seq->step(); !row || !*row) return row ? makeError(ErrorCode::kIo, "job vanished") : row.error();
  record.seq = seq->integer(0);
  record.repos.clear();
  if (auto st = appendRepos(record, record.spec.repos); !st) return st;
  return tx.commit();
}

Status JobStore::appendRepos(JobRecord& record, const std::vector<oci::RepoRef>& refs) {
  for (const auto& ref : refs) {
    const std::size_t i = record.repos.size();
    auto repo =
        db_->prepare("INSERT INTO job_repos (job_id, idx, ref, repo, tag, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!repo) return repo.error();
    repo->bind(1, record.id).bind(2, static_cast<std::int64_t>(i)).bind(3, ref.str()).bind(4, ref.repo);
    repo->bind(5, ref.tag).bind(6, kRepoPending);
    if (auto st = repo->run(); !st) return st;
    RepoTask task;
    task.index = i;
    task.ref = ref;
    record.repos.push_back(std::move(task));
  }
  return {};
}

Status JobStore::addSelectedRepos(JobRecord& record, const std::vector<oci::RepoRef>& refs) {
  SqliteDb::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun();
  JobRecord updated = record;  // `record` changes only once the rows are stored
  updated.spec.selectionsExpanded = true;
  if (auto st = appendRepos(updated, refs); !st) return st;
  auto stmt = db_->prepare("UPDATE jobs SET options = ?2 WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, updated.id).bind(2, optionsToJson(updated.spec).dump());
  if (auto st = stmt->run(); !st) return st;
  if (auto st = tx.commit(); !st) return st;
  record = std::move(updated);
  return {};
}

Result<std::vector<JobRecord>> JobStore::selectJobs(const std::string& where, const std::vector<std::string>& args,
                                                    std::int64_t limit, bool withRepos) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs";
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY seq DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  auto stmt = db_->prepare(sql);
  if (!stmt) return stmt.error();
  for (std::size_t i = 0; i < args.size(); ++i) stmt->bind(static_cast<int>(i + 1), args[i]);
  std::vector<JobRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    JobRecord j;
    j.seq = stmt->integer(0);
    j.id = stmt->text(1);
    j.state = stmt->text(2);
    j.createdAt = stmt->text(3);
    j.startedAt = stmt->text(4);
    j.finishedAt = stmt->text(5);
    j.spec.from = stmt->text(6);
    j.spec.to = stmt->text(7);
    auto options = nlohmann::json::parse(stmt->text(8), nullptr, false);
    if (options.is_object()) optionsFromJson(options, j.spec);
    j.spec.idempotencyKey = stmt->optionalText(9);
    out.push_back(std::move(j));
  }
  if (withRepos)
    for (auto& j : out)
      if (auto st = loadRepos(j); !st) return st.error();
  return out;
}

Status JobStore::loadRepos(JobRecord& job) {
  auto stmt = db_->prepare(
      "SELECT idx, ref, state, digest, bytes, blobs_copied, blobs_mounted, blobs_present, error_code, error_message, "
      "started_at, finished_at FROM job_repos WHERE job_id = ?1 ORDER BY idx");
  if (!stmt) return stmt.error();
  stmt->bind(1, job.id);
  job.repos.clear();
  job.spec.repos.clear();
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    RepoTask t;
    t.index = static_cast<std::size_t>(stmt->integer(0));
    auto ref = oci::RepoRef::parse(stmt->text(1));
    if (!ref) return ref.error().context("job " + job.id + " repo " + stmt->text(1));
    t.ref = *ref;
    t.state = stmt->text(2);
    t.digest = stmt->text(3);
    t.bytes = static_cast<std::uint64_t>(stmt->integer(4));
    t.blobsCopied = static_cast<std::uint64_t>(stmt->integer(5));
    t.blobsMounted = static_cast<std::uint64_t>(stmt->integer(6));
    t.blobsPresent = static_cast<std::uint64_t>(stmt->integer(7));
    if (auto code = stmt->optionalText(8)) t.error = makeError(errorCodeFromName(*code), stmt->text(9));
    t.startedAt = stmt->text(10);
    t.finishedAt = stmt->text(11);
    if (job.spec.repos.size() < job.spec.namedRepos) job.spec.repos.push_back(t.ref);  // not what selections added
    job.repos.push_back(std::move(t));
  }
  return {};
}

Result<std::optional<JobRecord>> JobStore::find(const std::string& id) {
  auto jobs = selectJobs("id = ?1", {id}, 1);
  if (!jobs) return jobs.error();
  if (jobs->empty()) return std::optional<JobRecord>();
  return std::optional<JobRecord>(std::move(jobs->front()));
}

Result<std::optional<JobRecord>> JobStore::findByIdempotencyKey(const std::string& key) {
  auto jobs = selectJobs("idempotency_key = ?1", {key}, 1);
  if (!jobs) return jobs.error();
  if (jobs->empty()) return std::optional<JobRecord>();
  return std::optional<JobRecord>(std::move(jobs->front()));
}

Result<std::vector<JobRecord>> JobStore::list(const JobFilter& filter) {
  std::string where;
  std::vector<std::string> args;
  if (filter.after) {
    auto anchor = db_->prepare("SELECT seq FROM jobs WHERE id = ?1");
    if (!anchor) return anchor.error();
    anchor->bind(1, *filter.after);
    auto row = anchor->step();
    if (!row) return row.error();
    if (!*row) return makeError(ErrorCode::kNotFound, "no job " + *filter.after);
    where = "seq < " + std::to_string(anchor->integer(0));
  }
  if (filter.state) {
    if (!where.empty()) where += " AND ";
    where += "state = ?1";
    args.push_back(*filter.state);
  }
  return selectJobs(where, args, static_cast<std::int64_t>(filter.limit), filter.withRepos);
}

Result<std::vector<std::string>> JobStore::queuedIds() {
  auto stmt = db_->prepare("SELECT id FROM jobs WHERE state = 'queued' ORDER BY seq");
  if (!stmt) return stmt.error();
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(stmt->text(0));
  }
}

Status JobStore::setJobState(const std::string& id, std::string_view state) {
  auto stmt = db_->prepare("UPDATE jobs SET state = ?2 WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, id).bind(2, state);
  return stmt->run();
}

Status JobStore::markStarted(const std::string& id, const std::string& startedAt) {
  auto stmt = db_->prepare("UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?2) WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, id).bind(2, startedAt);
  return stmt->run();
}

Status JobStore::markFinished(const std::string& id, std::string_view state, const std::string& finishedAt) {
  auto stmt = db_->prepare("UPDATE jobs SET state = ?2, finished_at = ?3 WHERE id = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, id).bind(2, state).bind(3, finishedAt);
  return stmt->run();
}

Status JobStore::updateRepo(const std::string& id, const RepoTask& t) {
  auto stmt = db_->prepare(
      "UPDATE job_repos SET state = ?3, digest = ?4, bytes = ?5, blobs_copied = ?6, blobs_mounted = ?7, "
      "blobs_present = ?8, error_code = ?9, error_message = ?10, started_at = ?11, finished_at = ?12 "
      "WHERE job_id = ?1 AND idx = ?2");
  if (!stmt) return stmt.error();
  stmt->bind(1, id).bind(2, static_cast<std::int64_t>(t.index)).bind(3, t.state).bind(4, t.digest);
  stmt->bind(5, static_cast<std::int64_t>(t.bytes)).bind(6, static_cast<std::int64_t>(t.blobsCopied));
  stmt->bind(7, static_cast<std::int64_t>(t.blobsMounted)).bind(8, static_cast<std::int64_t>(t.blobsPresent));
  if (t.error) {
    stmt->bind(9, errorCodeName(t.error->code)).bind(10, t.error->message);
  } else {
    stmt->bindNull(9).bindNull(10);
  }
  stmt->bindOptional(11, nonEmpty(t.startedAt)).bindOptional(12, nonEmpty(t.finishedAt));
  return stmt->run();
}

Result<std::map<std::string, std::int64_t>> JobStore::countJobsByState() {
  auto stmt = db_->prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state");
  if (!stmt) return stmt.error();
  std::map<std::string, std::int64_t> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return out;
    out[stmt->text(0)] = stmt->integer(1);
  }
}

Result<std::vector<std::string>> JobStore::prune(std::size_t keepFinished, const std::string& cutoff) {
  constexpr const char* kFinished = "state IN ('succeeded', 'partial', 'failed', 'cancelled')";
  auto stmt = db_->prepare(std::string("SELECT id, finished_at FROM jobs WHERE ") + kFinished + " ORDER BY seq DESC");
  if (!stmt) return stmt.error();
  std::vector<std::string> doomed;
  std::size_t kept = 0;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::string finishedAt = stmt->text(1);
    if (kept < keepFinished && finishedAt >= cutoff) {
      ++kept;
      continue;
    }
    doomed.push_back(stmt->text(0));
  }
  if (doomed.empty()) return doomed;
  SqliteDb::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  for (const auto& id : doomed) {
    auto del = db_->prepare("DELETE FROM jobs WHERE id = ?1");
    if (!del) return del.error();
    del->bind(1, id);
    if (auto st = del->run(); !st) return st.error();
  }
  if (auto st = tx.commit(); !st) return st.error();
  return doomed;
}

Result<std::optional<std::int64_t>> JobStore::scheduleLastRun(const std::string& name) {
  auto stmt = db_->prepare("SELECT last_run FROM schedules WHERE name = ?1");
  if (!stmt) return stmt.error();
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(stmt->integer(0));
}

Status JobStore::setScheduleLastRun(const std::string& name, std::int64_t unixSeconds) {
  auto stmt = db_->prepare(
      "INSERT INTO schedules (name, last_run) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET last_run = ?2");
  if (!stmt) return stmt.error();
  stmt->bind(1, name).bind(2, unixSeconds);
  return stmt->run();
}

std::optional<copy::UploadMark> JobStore::find(const std::string& registry, const std::string& repo,
                                               const oci::Digest& digest) {
  auto stmt = db_->prepare("SELECT location, committed FROM uploads WHERE registry = ?1 AND repo = ?2 AND digest = ?3");
  if (!stmt) return std::nullopt;
  stmt->bind(1, registry).bind(2, repo).bind(3, digest.str());
  auto row = stmt->step();
  if (!row || !*row) return std::nullopt;
  return copy::UploadMark{stmt->text(0), static_cast<std::uint64_t>(stmt->integer(1))};
}

void JobStore::record(const std::string& registry, const std::string& repo, const oci::Digest& digest,
                      const copy::UploadMark& mark) {
  auto stmt = db_->prepare(
      "INSERT INTO uploads (registry, repo, digest, location, committed) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(registry, repo, digest) DO UPDATE SET location = ?4, committed = ?5");
  Status st = stmt ? Status{} : Status(stmt.error());
  if (stmt) {
    stmt->bind(1, registry).bind(2, repo).bind(3, digest.str()).bind(4, mark.location);
    stmt->bind(5, static_cast<std::int64_t>(mark.committed));
    st = stmt->run();
  }
  if (!st) spdlog::warn("upload journal: {}", st.error().message);
}

void JobStore::forget(const std::string& registry, const std::string& repo, const oci::Digest& digest) {
  auto stmt = db_->prepare("DELETE FROM uploads WHERE registry = ?1 AND repo = ?2 AND digest = ?3");
  Status st = stmt ? Status{} : Status(stmt.error());
  if (stmt) {
    stmt->bind(1, registry).bind(2, repo).bind(3, digest.str());
    st = stmt->run();
  }
  if (!st) spdlog::warn("upload journal: {}", st.error().message);
}

}  // namespace autonomy::jobs
