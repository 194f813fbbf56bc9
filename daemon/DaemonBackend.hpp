#pragma once
// The API's view of the daemon: jobs from the scheduler, schedules from the schedule runner.
#include "api/ApiBackend.hpp"
#include "jobs/JobScheduler.hpp"
#include "jobs/Notifier.hpp"
#include "jobs/ScheduleRunner.hpp"

namespace autonomy::daemon {

class DaemonBackend : public api::ApiBackend {
 public:
  DaemonBackend(jobs::JobScheduler& scheduler, jobs::ScheduleRunner& schedules, const jobs::Notifier& notifier)
      : scheduler_(scheduler), schedules_(schedules), notifier_(notifier) {}

  Result<jobs::Submitted> submitJob(jobs::JobSpec spec) override { return scheduler_.submit(std::move(spec)); }
  Result<std::optional<jobs::JobRecord>> findJob(const std::string& id) override { return scheduler_.find(id); }
  Result<std::vector<jobs::JobRecord>> listJobs(const jobs::JobFilter& filter) override {
    return scheduler_.list(filter);
  }
  Result<jobs::Cancelled> cancelJob(const std::string& id) override { return scheduler_.cancel(id); }
  std::filesystem::path jobDir(const std::string& id) const override { return scheduler_.jobDir(id); }

  std::vector<api::ScheduleView> schedules() override;
  Result<jobs::Submitted> runSchedule(const std::string& name) override { return schedules_.runNow(name); }
  Result<jobs::Triggered> triggerSchedule(const std::string& name, const std::string& from) override {
    return schedules_.trigger(name, from);
  }

  bool ready() override { return started_ && scheduler_.accepting(); }
  api::MetricsSnapshot metrics() override;

  void setStarted(bool started) { started_ = started; }

 private:
  jobs::JobScheduler& scheduler_;
  jobs::ScheduleRunner& schedules_;
  const jobs::Notifier& notifier_;
  bool started_ = false;
};

}  // namespace autonomy::daemon
