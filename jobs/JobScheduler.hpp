#pragma once
// Runs the daemon's jobs on one io_context: a FIFO queue, at most `concurrency.repos` repos in
// flight across all jobs (a job's repos run in parallel within that), per-registry connection
// limits through one shared ConnectionPool, one writer per destination repo, cancellation,
// resume after restart, and pruning of old finished jobs.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "engine/async/AsyncGate.hpp"
#include "engine/copy/VerificationCache.hpp"
#include "jobs/EngineSettings.hpp"
#include "jobs/EventHub.hpp"
#include "jobs/JobMetrics.hpp"
#include "jobs/JobRun.hpp"
#include "jobs/JobStore.hpp"
#include "jobs/RepoLocks.hpp"

namespace autonomy::jobs {

struct SchedulerOptions {
  std::filesystem::path stateDir;
  std::size_t repoSlots = 4;     // concurrency.repos
  std::size_t blobsPerRepo = 4;  // concurrency.blobs_per_repo
  std::size_t keepFinished = 500;
  std::chrono::days keepDays{30};
  SeedFunction seed;  // empty: the engine's copy::runSeed
  // Called with the record of every job that ends (not one a shutdown interrupts): notify
  // targets and triggered schedules hear about it here.
  std::function<void(const JobRecord&)> onFinished;
};

class JobScheduler {
 public:
  JobScheduler(const boost::asio::any_io_executor& executor, JobStore& store, EventHub& events,
               SchedulerOptions options, std::shared_ptr<const EngineSettings> settings);
  ~JobScheduler();
  JobScheduler(const JobScheduler&) = delete;
  JobScheduler& operator=(const JobScheduler&) = delete;

  // Picks up the jobs the store has queued (including those a crash interrupted) and starts
  // running them; prunes old jobs.
  Status start();
  // Jobs started from now on use these settings; running jobs keep theirs, except for caps and
  // windows (registries' and schedules'), which reach their transfers at once.
  void setSettings(std::shared_ptr<const EngineSettings> settings);
  std::shared_ptr<const EngineSettings> settings() const { return settings_; }

  // Checks the spec (kUsage errors start with the field name), then queues it.
  Result<Submitted> submit(JobSpec spec);
  Result<std::optional<JobRecord>> find(const std::string& id);
  Result<std::vector<JobRecord>> list(const JobFilter& filter);
  // kNotFound for an unknown id.
  Result<Cancelled> cancel(const std::string& id);

  // Shutdown: refuses new jobs, stops transfers; interrupted jobs stay queued for the next start.
  void shutdown();
  bool accepting() const { return !shuttingDown_; }
  std::size_t runningJobs() const { return running_.size(); }
  std::size_t queuedJobs() const { return queue_.size(); }
  // Returns when no job runs any more, or at the deadline.
  boost::asio::awaitable<bool> waitIdle(std::chrono::steady_clock::time_point deadline);

  const JobMetrics& metrics() const { return metrics_; }
  Result<std::map<std::string, std::int64_t>> jobsByState() { return store_.countJobsByState(); }
  std::filesystem::path jobDir(const std::string& id) const { return jobsDir() / id; }
  std::filesystem::path jobsDir() const { return options_.stateDir / "jobs"; }
  registry::ConnectionPool& pool() { return *pool_; }
  EventHub& events() { return events_; }

  Status pruneNow();
  // Wall time each schedule's transfers spent paused outside its windows, since the start.
  std::map<std::string, double> schedulePausedSeconds() const;

 private:
  static boost::asio::awaitable<void> runJob(JobScheduler* self, std::shared_ptr<JobRun> run);
  void pump();
  void jobEnded(const std::string& id);
  void reportFinished(const JobRecord& record) const;
  JobRunEnv env() const;
  void applySettings();
  bool windowOpenFor(const std::string& schedule) const;
  void lookAgainForWindows();
  Status validate(const JobSpec& spec) const;

  boost::asio::any_io_executor executor_;
  JobStore& store_;
  EventHub& events_;
  SchedulerOptions options_;
  std::shared_ptr<const EngineSettings> settings_;
  std::unique_ptr<registry::ConnectionPool> pool_;
  std::shared_ptr<async::AsyncGate> repoSlots_;
  RepoLocks locks_;
  mutable copy::VerificationCache verdicts_;  // across jobs: a re-seed of unchanged signatures fetches none
  JobMetrics metrics_;
  std::map<std::string, async::WindowGatePtr> scheduleWindows_;  // by schedule name, kept across reloads
  std::deque<std::string> queue_;
  std::map<std::string, std::shared_ptr<JobRun>> running_;
  bool shuttingDown_ = false;
  boost::asio::steady_timer idle_;
  std::set<std::string> heldForWindow_;  // queued jobs already logged as waiting for a window
  boost::asio::steady_timer windowTimer_;
  bool windowTimerArmed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handlers that outlive it
};

}  // namespace autonomy::jobs
