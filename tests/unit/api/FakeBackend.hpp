#pragma once
// An in-memory ApiBackend: routes are tested for status codes and JSON shapes alone.
#include <algorithm>
#include <filesystem>
#include <map>

#include "api/ApiBackend.hpp"

namespace autonomy::api::testing {

class FakeBackend : public ApiBackend {
 public:
  explicit FakeBackend(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Result<jobs::Submitted> submitJob(jobs::JobSpec spec) override {
    if (!spec.keyName.empty() && spec.keyName != "fleet")
      return fieldError("key", "no key named \"" + spec.keyName + "\" in the daemon's config");
    if (spec.idempotencyKey) {
      for (auto& [id, j] : jobs_) {
        if (j.spec.idempotencyKey != spec.idempotencyKey) continue;
        return jobs::Submitted{
            j, j.spec.sameRequest(spec) ? jobs::SubmitStatus::kReplayed : jobs::SubmitStatus::kKeyConflict};
      }
    }
    jobs::JobRecord j;
    j.id = jobs::newJobId();
    j.seq = ++seq_;
    j.createdAt = "2025-01-01T00:00:00.000Z";
    j.spec = std::move(spec);
    for (std::size_t i = 0; i < j.spec.repos.size(); ++i) {
      jobs::RepoTask t;
      t.index = i;
      t.ref = j.spec.repos[i];
      j.repos.push_back(t);
    }
    jobs_[j.id] = j;
    return jobs::Submitted{j, jobs::SubmitStatus::kCreated};
  }

  Result<std::optional<jobs::JobRecord>> findJob(const std::string& id) override {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::optional<jobs::JobRecord>();
    return std::optional<jobs::JobRecord>(it->second);
  }

  Result<std::vector<jobs::JobRecord>> listJobs(const jobs::JobFilter& filter) override {
    std::vector<jobs::JobRecord> all;
    for (auto& [id, j] : jobs_) all.push_back(j);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.seq > b.seq; });
    std::int64_t below = INT64_MAX;
    if (filter.after) {
      auto it = jobs_.find(*filter.after);
      if (it == jobs_.end()) return makeError(ErrorCode::kNotFound, "no job " + *filter.after);
      below = it->second.seq;
    }
    std::vector<jobs::JobRecord> out;
    for (auto& j : all) {
      if (j.seq >= below || (filter.state && j.state != *filter.state)) continue;
      if (out.size() == filter.limit) break;
      out.push_back(j);
    }
    return out;
  }

  Result<jobs::Cancelled> cancelJob(const std::string& id) override {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return makeError(ErrorCode::kNotFound, "no job " + id);
    auto& j = it->second;
    if (jobs::isFinishedJobState(j.state)) return jobs::Cancelled{j, jobs::CancelStatus::kAlreadyFinished};
    if (j.state == jobs::kJobRunning) return jobs::Cancelled{j, jobs::CancelStatus::kCancelling};
    j.state = std::string(jobs::kJobCancelled);
    return jobs::Cancelled{j, jobs::CancelStatus::kCancelled};
  }

  std::filesystem::path jobDir(const std::string& id) const override { return dir_ / id; }

  std::vector<ScheduleView> schedules() override {
    ScheduleView v;
    v.name = "reseed-edge-b";
    v.trigger = "every 30m";
    v.jitter = "2m";
    v.from = "edge-a.local:5000";
    v.to = "edge-b.local:5000";
    v.repos = {"robot-behavior:v1"};
    v.key = "fleet";
    v.lastRun = "2025-01-01T00:00:00.000Z";
    return {v};
  }

  Result<jobs::Submitted> runSchedule(const std::string& name) override {
    if (name != "reseed-edge-b") return makeError(ErrorCode::kNotFound, "no schedule " + name);
    jobs::JobSpec s;
    s.from = "edge-a.local:5000";
    s.to = "edge-b.local:5000";
    s.repos = {*oci::RepoRef::parse("robot-behavior:v1")};
    s.keyName = "fleet";
    s.schedule = name;
    return submitJob(s);
  }

  // The fake's trigger outcome is set by the test; the sender is remembered.
  Result<jobs::Triggered> triggerSchedule(const std::string& name, const std::string& from) override {
    if (name != "reseed-edge-b") return makeError(ErrorCode::kNotFound, "no schedule " + name);
    lastTriggerFrom = from;
    jobs::Triggered t;
    t.outcome = triggerOutcome;
    if (t.outcome != jobs::TriggerOutcome::kDisabled) t.job = runSchedule(name)->job;
    return t;
  }

  bool ready() override { return ready_; }

  MetricsSnapshot metrics() override {
    MetricsSnapshot m;
    for (auto& [id, j] : jobs_) ++m.jobsByState[j.state];
    m.counters.bytesSent = 4096;
    m.counters.verificationFailures = 2;
    m.counters.bytesByRegistry["edge-b.local:5000"] = 4096;
    m.counters.failuresByClass["network"] = 1;
    m.counters.reposByOutcome["copied"] = 3;
    m.triggers[{"reseed-edge-b", "started"}] = 2;
    m.notify["https://edge-c.local:7480/v1/schedules/x/trigger"] = {5, 3, 1, 2};
    return m;
  }

  jobs::JobRecord& job(const std::string& id) { return jobs_.at(id); }
  bool ready_ = true;
  jobs::TriggerOutcome triggerOutcome = jobs::TriggerOutcome::kStarted;
  std::string lastTriggerFrom;

 private:
  std::filesystem::path dir_;
  std::map<std::string, jobs::JobRecord> jobs_;
  std::int64_t seq_ = 0;
};

}  // namespace autonomy::api::testing
