#pragma once
// One job from start to finish on the shared io_context: its own registry clients (sharing
// the daemon's connection pool), blob ledger and transfer gate; its repos run by the engine's
// SyncRun, each copying under a global repo slot and the lock on its destination repo. Every finished repo is
// written to seed.json and the store before the next step, so a crash loses nothing done.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/async/AsyncGate.hpp"
#include "engine/copy/CopySession.hpp"
#include "engine/copy/SyncRun.hpp"
#include "jobs/EngineSettings.hpp"
#include "jobs/EventHub.hpp"
#include "jobs/JobMetrics.hpp"
#include "jobs/JobStore.hpp"
#include "jobs/RepoLocks.hpp"

namespace autonomy::jobs {

using copy::SeedFunction;

// What a run borrows from the scheduler; all outlive the run.
struct JobRunEnv {
  JobStore* store = nullptr;
  EventHub* events = nullptr;
  registry::ConnectionPool* pool = nullptr;
  std::shared_ptr<async::AsyncGate> repoSlots;  // concurrency.repos: repos copying across all jobs
  RepoLocks* locks = nullptr;
  JobMetrics* metrics = nullptr;
  std::shared_ptr<const EngineSettings> settings;
  std::filesystem::path jobsDir;   // <state_dir>/jobs
  std::size_t maxRepoWorkers = 4;  // concurrency.repos: sets how wide a job checks (see SyncRun)
  std::size_t blobsPerRepo = 4;
  SeedFunction seed;                            // empty: copy::runSeed
  copy::VerificationCache* verdicts = nullptr;  // shared by every job: see engine/copy/VerificationCache
  std::map<std::string, async::WindowGatePtr> scheduleWindows;  // by schedule name: a schedule's job waits at it
};

// The daemon's adapter around the engine's copy::SyncRun: the run calls it back (RunHooks) to
// hold destination locks, skip what an earlier attempt finished, and persist every record.
class JobRun : public copy::ProgressSink, private copy::RunHooks {
 public:
  JobRun(JobRunEnv env, JobRecord record);
  ~JobRun() override;

  const std::string& id() const { return record_.id; }
  // The job as it stands, live bytes included.
  const JobRecord& record() const { return record_; }
  std::filesystem::path dir() const { return env_.jobsDir / record_.id; }

  // Runs to the end; never throws. With shutdown(), returns with the job queued again.
  boost::asio::awaitable<void> run();
  // A caller's cancel: the job ends `cancelled`.
  void cancel();
  // Daemon shutdown: transfers stop, the job goes back to the queue for the next start.
  void interrupt();
  bool cancelRequested() const { return userCancelled_; }

  // Ends a job that never ran (cancelled while queued, or unable to start): every pending repo
  // gets `status`, seed.json files and the catalog are written, the job gets its final state.
  void finishWithoutRunning(const char* status, const std::optional<Error>& error);

  // ProgressSink: from the engine, on the io_context thread.
  void blobStarted(const std::string& repo, const oci::Digest& d, std::uint64_t size) override;
  void bytesSent(const std::string& repo, const oci::Digest& d, std::uint64_t delta) override;

 private:
  Status prepare();
  // The job's tag selections, asked of the source once (then stored): more repos to copy.
  registry::Task<Status> expandSelections();
  // RunHooks: from the engine's run.
  bool alreadyDone(std::size_t index) const override;
  registry::Task<std::unique_ptr<copy::RepoHold>> hold(std::size_t index, CancelTokenPtr cancel) override;
  void started(std::size_t index) override;
  void recorded(std::size_t index, std::size_t peer, const catalog::SeedRecord& r) override;
  void recordResult(std::size_t index, const catalog::SeedRecord& r);
  void persist(const RepoTask& task);
  catalog::SeedRecord unstartedRecord(const RepoTask& task, const char* status,
                                      const std::optional<Error>& error) const;
  void finish();
  // The destination could not be finished (an archive not packed): its repos are not there.
  void failFinishedRepos(const Error& error);
  void requeue();
  RepoTask* taskForRepo(const std::string& repo);
  nlohmann::json repoEventData(const RepoTask& task) const;

  JobRunEnv env_;
  JobRecord record_;
  bool userCancelled_ = false;
  bool interrupted_ = false;
  CancelTokenPtr cancel_ = std::make_shared<CancelToken>();
  std::shared_ptr<const verify::TrustPolicy> trust_;
  std::unique_ptr<copy::CopySession> copy_;
  std::map<std::size_t, std::chrono::steady_clock::time_point> lastProgress_;
  std::map<std::size_t, std::uint64_t> blobsStarted_;
  catalog::RecordLayout layout_;  // where each repo's seed record goes in dir()
};

}  // namespace autonomy::jobs
