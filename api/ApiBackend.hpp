#pragma once
// What the REST routes need from the daemon: jobs (the scheduler), schedules, readiness and
// the numbers /metrics reports. The daemon implements it; route tests use a fake.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/JobMetrics.hpp"
#include "jobs/JobTypes.hpp"

namespace autonomy::api {

struct ScheduleView {
  std::string name;
  std::string trigger;  // "every 30m" | "cron */30 * * * *"
  std::string jitter;   // "2m"
  std::string from;
  std::string to;
  std::vector<std::string> repos;
  std::vector<oci::RepoSelection> selections;
  std::string key;  // empty with skip_verify
  bool skipVerify = false;
  bool copyPolicy = false;
  bool keepGoing = false;
  bool enabled = true;
  std::vector<std::string> windows;  // transfer windows, UTC; empty: always open
  bool windowOpen = true;            // a window is open now
  std::string lastRun;               // RFC 3339, empty when never
  std::string nextRun;               // RFC 3339, empty when disabled
  std::string lastJob;               // id of the job it last started, if known
};

struct MetricsSnapshot {
  std::map<std::string, std::int64_t> jobsByState;
  jobs::JobMetrics counters;
  std::size_t runningJobs = 0;
  std::size_t queuedJobs = 0;
  struct Bandwidth {
    std::uint64_t cap = 0;    // bytes/s; 0: none
    std::uint64_t paced = 0;  // blob bytes moved to and from the host since start
    std::uint64_t rate = 0;   // bytes/s over the last few seconds
    bool windowOpen = true;
    double pausedSeconds = 0;  // wall time its transfers waited outside its windows
  };
  std::map<std::string, Bandwidth> bandwidth;                             // by registry host
  std::map<std::pair<std::string, std::string>, std::uint64_t> triggers;  // (schedule, outcome) -> received
  std::map<std::string, jobs::NotifyStats> notify;                        // by notify: url
  std::map<std::string, double> schedulePausedSeconds;                    // by schedule: outside its windows
};

class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  virtual Result<jobs::Submitted> submitJob(jobs::JobSpec spec) = 0;
  virtual Result<std::optional<jobs::JobRecord>> findJob(const std::string& id) = 0;
  virtual Result<std::vector<jobs::JobRecord>> listJobs(const jobs::JobFilter& filter) = 0;
  virtual Result<jobs::Cancelled> cancelJob(const std::string& id) = 0;
  // <state_dir>/jobs/<id>: where the job's catalog.json is.
  virtual std::filesystem::path jobDir(const std::string& id) const = 0;

  virtual std::vector<ScheduleView> schedules() = 0;
  // kNotFound for an unknown schedule.
  virtual Result<jobs::Submitted> runSchedule(const std::string& name) = 0;
  // kNotFound for an unknown schedule; `from` names the sender for the log.
  virtual Result<jobs::Triggered> triggerSchedule(const std::string& name, const std::string& from) = 0;

  // Accepting jobs: the store is open and the daemon is not shutting down.
  virtual bool ready() = 0;
  virtual MetricsSnapshot metrics() = 0;
};

}  // namespace autonomy::api
