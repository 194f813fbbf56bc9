#pragma once
// One job from start to finish on the shared io_context: its own registry clients (sharing
// the daemon's connection pool), blob ledger and transfer gate; its repos in parallel, each
// holding a global repo slot and the lock on its destination repo. Every finished repo is
// written to seed.json and the store before the next step, so a crash loses nothing done.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/copy/CopyContext.hpp"
#include "engine/copy/SeedRunner.hpp"
#include "engine/registry/AsyncGate.hpp"
#include "jobs/EngineSettings.hpp"
#include "jobs/EventHub.hpp"
#include "jobs/JobMetrics.hpp"
#include "jobs/JobStore.hpp"
#include "jobs/RepoLocks.hpp"

namespace autonomy::jobs {

// The engine's copy of one repo; tests substitute their own.
using SeedFunction = std::function<registry::Task<catalog::SeedRecord>(copy::CopyContext*, copy::SeedRequest)>;

// What a run borrows from the scheduler; all outlive the run.
struct JobRunEnv {
  JobStore* store = nullptr;
  EventHub* events = nullptr;
  registry::ConnectionPool* pool = nullptr;
  std::shared_ptr<registry::AsyncGate> repoSlots;  // concurrency.repos across all jobs
  RepoLocks* locks = nullptr;
  JobMetrics* metrics = nullptr;
  std::shared_ptr<const EngineSettings> settings;
  std::filesystem::path jobsDir;  // <state_dir>/jobs
  std::size_t maxRepoWorkers = 4;
  std::size_t blobsPerRepo = 4;
  SeedFunction seed;                            // empty: copy::runSeed
  copy::VerificationCache* verdicts = nullptr;  // shared by every job: see engine/copy/VerificationCache
};

class JobRun : public copy::ProgressSink {
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
  boost::asio::awaitable<void> worker();
  boost::asio::awaitable<void> runRepo(std::size_t index);
  std::optional<std::size_t> pickNext();
  void recordResult(std::size_t index, const catalog::SeedRecord& r);
  void persist(const RepoTask& task);
  catalog::SeedRecord unstartedRecord(const RepoTask& task, const char* status,
                                      const std::optional<Error>& error) const;
  void finish();
  void requeue();
  RepoTask* taskForRepo(const std::string& repo);
  nlohmann::json repoEventData(const RepoTask& task) const;

  JobRunEnv env_;
  JobRecord record_;
  std::vector<bool> claimed_;
  bool stop_ = false;  // a repo failed without keep-going
  bool userCancelled_ = false;
  bool interrupted_ = false;
  CancelTokenPtr cancel_ = std::make_shared<CancelToken>();
  std::shared_ptr<const verify::TrustPolicy> trust_;
  std::unique_ptr<registry::RegistryClient> source_;
  std::unique_ptr<registry::RegistryClient> dest_;
  std::unique_ptr<copy::BlobLedger> ledger_;
  std::unique_ptr<registry::AsyncGate> transferGate_;
  copy::CopyContext ctx_;
  std::map<std::size_t, std::chrono::steady_clock::time_point> lastProgress_;
  std::map<std::size_t, std::uint64_t> blobsStarted_;
};

}  // namespace autonomy::jobs
