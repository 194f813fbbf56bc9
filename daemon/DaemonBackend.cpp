#include "daemon/DaemonBackend.hpp"

#include <spdlog/spdlog.h>

#include "config/Duration.hpp"
#include "jobs/TimeText.hpp"

namespace autonomy::daemon {

std::vector<api::ScheduleView> DaemonBackend::schedules() {
  std::vector<api::ScheduleView> out;
  for (const auto& st : schedules_.states()) {
    const auto& s = st.schedule;
    api::ScheduleView v;
    v.name = s.name;
    v.trigger = s.triggerText();
    v.jitter = config::formatDuration(s.jitter);
    v.from = s.from;
    v.to = s.to;
    for (const auto& r : s.repos) v.repos.push_back(r.str());
    v.selections = s.selections;
    v.key = s.skipVerify ? "" : s.key;
    v.skipVerify = s.skipVerify;
    v.copyPolicy = s.copyPolicy;
    v.keepGoing = s.keepGoing;
    v.enabled = s.enabled;
    v.windows = s.windows.specs();
    v.windowOpen = s.windows.isOpen(TransferWindows::Clock::now());
    if (st.lastRun) v.lastRun = jobs::formatRfc3339(*st.lastRun);
    if (st.nextRun) v.nextRun = jobs::formatRfc3339(*st.nextRun);
    v.lastJob = st.lastJob;
    out.push_back(std::move(v));
  }
  return out;
}

api::MetricsSnapshot DaemonBackend::metrics() {
  api::MetricsSnapshot m;
  auto byState = scheduler_.jobsByState();
  if (byState)
    m.jobsByState = std::move(*byState);
  else
    spdlog::warn("metrics: {}", byState.error().message);
  m.counters = scheduler_.metrics();
  m.runningJobs = scheduler_.runningJobs();
  m.queuedJobs = scheduler_.queuedJobs();
  for (const auto& [host, limiter] : scheduler_.pool().rates())
    m.bandwidth[host] = {limiter->rate(), limiter->bytesPaced(), limiter->currentRate(), limiter->windows().isOpen(),
                         limiter->windows().pausedTime().count()};
  m.schedulePausedSeconds = scheduler_.schedulePausedSeconds();
  m.triggers = schedules_.triggersReceived();
  m.notify = notifier_.stats();
  return m;
}

}  // namespace autonomy::daemon
