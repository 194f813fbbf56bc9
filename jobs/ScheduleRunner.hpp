#pragma once
// Fires the config's schedules: each becomes a job when due (ScheduleClock), its last run is
// kept in the job store so a restart knows what was missed, and a reload (SIGHUP) swaps the
// set without touching running jobs. A schedule whose previous job is still queued or running
// skips a turn rather than piling up copies of itself.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/DaemonConfig.hpp"
#include "jobs/JobScheduler.hpp"
#include "jobs/ScheduleClock.hpp"

namespace autonomy::jobs {

struct ScheduleState {
  config::Schedule schedule;
  std::optional<SystemTime> lastRun;
  std::optional<SystemTime> nextRun;  // empty when disabled
  std::string lastJob;
  // A trigger came while the schedule's job was running: one more run when it ends.
  bool pendingTrigger = false;
};

class ScheduleRunner {
 public:
  ScheduleRunner(const boost::asio::any_io_executor& executor, JobScheduler& scheduler, JobStore& store);

  // Replaces the schedules (start-up and reload). Last runs come from the store.
  void apply(const std::vector<config::Schedule>& schedules);
  void start();
  void stop();
  ~ScheduleRunner() { *alive_ = false; }
  ScheduleRunner(const ScheduleRunner&) = delete;
  ScheduleRunner& operator=(const ScheduleRunner&) = delete;

  // A run now, on demand (POST /v1/schedules/{name}/run); kNotFound for an unknown name.
  Result<Submitted> runNow(const std::string& name);
  std::vector<ScheduleState> states() const;

  // Another daemon (or anything holding the API token) says the upstream changed. However many
  // triggers arrive while a run is queued, they make that one run; `from` is for the log.
  Result<Triggered> trigger(const std::string& name, const std::string& from);
  // Every job end (JobScheduler's onFinished): a pending trigger fires as soon as its
  // schedule's job has ended, not at the next wake-up.
  void jobFinished(const JobRecord& job);
  // Triggers received, by (schedule, outcome name).
  const std::map<std::pair<std::string, std::string>, std::uint64_t>& triggersReceived() const { return triggers_; }

 private:
  static boost::asio::awaitable<void> loop(ScheduleRunner* self);
  void fireDue();
  Result<Submitted> fire(ScheduleState& state, SystemTime now);
  // The newest queued or running job a schedule started (the store's view), or "".
  std::string unfinishedJobOf(const std::string& schedule);
  bool previousStillActive(const ScheduleState& state);
  static JobSpec specFor(const config::Schedule& s);

  boost::asio::any_io_executor executor_;
  JobScheduler& scheduler_;
  JobStore& store_;
  std::map<std::string, ScheduleState> states_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> triggers_;
  boost::asio::steady_timer timer_;
  // False once the runner is gone: its loop may still be resumed by the cancelled timer wait,
  // and must then not touch the runner (ASan found it doing so).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool running_ = false;
  bool stopped_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace autonomy::jobs
