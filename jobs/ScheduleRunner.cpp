#include "jobs/ScheduleRunner.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "jobs/TimeText.hpp"

namespace autonomy::jobs {

namespace {
// Waking at least this often keeps schedules right across wall-clock jumps (NTP at boot).
constexpr auto kMaxSleep = std::chrono::seconds(30);
// With a trigger pending, the loop also looks this often (jobFinished normally wakes it first).
constexpr auto kPendingSleep = std::chrono::seconds(1);

std::int64_t toUnix(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
SystemTime fromUnix(std::int64_t s) { return SystemTime(std::chrono::seconds(s)); }
}  // namespace

ScheduleRunner::ScheduleRunner(const boost::asio::any_io_executor& executor, JobScheduler& scheduler, JobStore& store)
    : executor_(executor), scheduler_(scheduler), store_(store), timer_(executor) {}

JobSpec ScheduleRunner::specFor(const config::Schedule& s) {
  JobSpec spec;
  spec.from = s.from;
  spec.to = s.to;
  spec.repos = s.repos;
  spec.selections = s.selections;
  spec.keyName = s.skipVerify ? "" : s.key;
  spec.skipVerify = s.skipVerify;
  spec.copyPolicy = s.copyPolicy;
  spec.keepGoing = s.keepGoing;
  spec.schedule = s.name;
  return spec;
}

void ScheduleRunner::apply(const std::vector<config::Schedule>& schedules) {
  std::map<std::string, ScheduleState> next;
  const auto now = std::chrono::system_clock::now();
  for (const auto& s : schedules) {
    ScheduleState st;
    st.schedule = s;
    if (auto old = states_.find(s.name); old != states_.end()) {
      st.lastJob = old->second.lastJob;
      // A trigger that arrived during a run still owes its run after a reload.
      st.pendingTrigger = old->second.pendingTrigger && s.enabled;
    }
    // After a restart the memory is empty, but the job store knows: a resumed job of this
    // schedule is its last run, so the due run waits for it instead of running beside it.
    if (st.lastJob.empty()) st.lastJob = unfinishedJobOf(s.name);
    auto last = store_.scheduleLastRun(s.name);
    if (!last) spdlog::warn("schedule {}: reading its last run: {}", s.name, last.error().message);
    if (last && *last) st.lastRun = fromUnix(**last);
    if (s.enabled) {
      const bool keepPlan =
          states_.count(s.name) && states_[s.name].nextRun && states_[s.name].schedule.triggerText() == s.triggerText();
      st.nextRun = keepPlan ? states_[s.name].nextRun : withJitter(firstDue(s, st.lastRun, now), s.jitter, rng_);
      if (!keepPlan && missedWhileDown(s, st.lastRun, now))
        spdlog::info("schedule {}: a run was missed while the daemon was down; running it once now", s.name);
      spdlog::info("schedule {} ({}): next run {}", s.name, s.triggerText(), formatRfc3339(*st.nextRun));
    } else {
      spdlog::info("schedule {}: disabled", s.name);
    }
    next.emplace(s.name, std::move(st));
  }
  states_ = std::move(next);
  timer_.cancel();
}

void ScheduleRunner::start() {
  if (running_) return;
  running_ = true;
  boost::asio::co_spawn(executor_, loop(this), [](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("schedules stopped: {}", ex.what());
    }
  });
}

void ScheduleRunner::stop() {
  stopped_ = true;
  timer_.cancel();
}

boost::asio::awaitable<void> ScheduleRunner::loop(ScheduleRunner* self) {
  const auto alive = self->alive_;
  while (!self->stopped_) {
    self->fireDue();
    auto sleep = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kMaxSleep);
    const auto now = std::chrono::system_clock::now();
    for (const auto& [name, st] : self->states_) {
      if (st.pendingTrigger) sleep = std::min<std::chrono::steady_clock::duration>(sleep, kPendingSleep);
      if (!st.nextRun) continue;
      const auto until = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*st.nextRun - now);
      sleep = std::min(sleep, std::max(until, std::chrono::steady_clock::duration::zero()));
    }
    self->timer_.expires_after(sleep);
    co_await self->timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (!*alive) co_return;  // destroyed while asleep
  }
  self->running_ = false;
}

std::string ScheduleRunner::unfinishedJobOf(const std::string& schedule) {
  for (const std::string_view state : {kJobRunning, kJobQueued}) {
    JobFilter filter;
    filter.state = std::string(state);
    filter.limit = 500;
    auto jobs = scheduler_.list(filter);
    if (!jobs) continue;
    for (const auto& job : *jobs)
      if (job.spec.schedule == schedule) return job.id;
  }
  return {};
}

bool ScheduleRunner::previousStillActive(const ScheduleState& st) {
  if (st.lastJob.empty()) return false;
  auto job = scheduler_.find(st.lastJob);
  return job && job->has_value() && !isFinishedJobState((**job).state);
}

void ScheduleRunner::fireDue() {
  const auto now = std::chrono::system_clock::now();
  for (auto& [name, st] : states_) {
    if (st.pendingTrigger && scheduler_.accepting() && !previousStillActive(st)) {
      st.pendingTrigger = false;
      spdlog::info("schedule {}: running again for the trigger that came during job {}", name, st.lastJob);
      if (auto fired = fire(st, now); !fired) spdlog::error("schedule {}: {}", name, fired.error().message);
      continue;
    }
    if (!st.nextRun || *st.nextRun > now || !scheduler_.accepting()) continue;
    if (previousStillActive(st)) {
      spdlog::warn("schedule {}: job {} from its last run is still going; skipping this run", name, st.lastJob);
      st.nextRun = withJitter(nextDue(st.schedule, now), st.schedule.jitter, rng_);
      continue;
    }
    auto fired = fire(st, now);
    if (!fired) spdlog::error("schedule {}: {}", name, fired.error().message);
    st.nextRun = withJitter(nextDue(st.schedule, now), st.schedule.jitter, rng_);
  }
}

Result<Submitted> ScheduleRunner::fire(ScheduleState& st, SystemTime now) {
  // The run is recorded before the job is queued: a crash in between skips one run rather
  // than repeating it at every restart.
  st.lastRun = now;
  if (auto s = store_.setScheduleLastRun(st.schedule.name, toUnix(now)); !s)
    spdlog::warn("schedule {}: saving its last run: {}", st.schedule.name, s.error().message);
  auto submitted = scheduler_.submit(specFor(st.schedule));
  if (submitted) st.lastJob = submitted->job.id;
  return submitted;
}

Result<Submitted> ScheduleRunner::runNow(const std::string& name) {
  auto it = states_.find(name);
  if (it == states_.end()) return makeError(ErrorCode::kNotFound, "no schedule " + name);
  spdlog::info("schedule {}: run requested", name);
  return fire(it->second, std::chrono::system_clock::now());
}

Result<Triggered> ScheduleRunner::trigger(const std::string& name, const std::string& from) {
  auto it = states_.find(name);
  if (it == states_.end()) return makeError(ErrorCode::kNotFound, "no schedule " + name);
  ScheduleState& st = it->second;
  Triggered out;
  std::optional<JobRecord> last;
  if (!st.lastJob.empty()) {
    auto found = scheduler_.find(st.lastJob);
    if (found && found->has_value()) last = std::move(**found);
  }
  if (!st.schedule.enabled) {
    out.outcome = TriggerOutcome::kDisabled;
  } else if (last && last->state == kJobQueued) {
    out.outcome = TriggerOutcome::kQueued;
    out.job = std::move(last);
  } else if (last && last->state == kJobRunning) {
    out.outcome = TriggerOutcome::kAfterRunning;
    st.pendingTrigger = true;
    out.job = std::move(last);
  } else {
    auto fired = fire(st, std::chrono::system_clock::now());
    if (!fired) return fired.error();
    out.job = std::move(fired->job);
  }
  ++triggers_[{name, std::string(triggerOutcomeName(out.outcome))}];
  spdlog::info("schedule {}: triggered by {}: {}{}", name, from.empty() ? "an API call" : from,
               triggerOutcomeName(out.outcome), out.job ? " (job " + out.job->id + ")" : std::string());
  return out;
}

void ScheduleRunner::jobFinished(const JobRecord& job) {
  if (job.spec.schedule.empty()) return;
  auto it = states_.find(job.spec.schedule);
  if (it != states_.end() && it->second.pendingTrigger) timer_.cancel();  // the loop fires it now
}

std::vector<ScheduleState> ScheduleRunner::states() const {
  std::vector<ScheduleState> out;
  for (const auto& [name, st] : states_) out.push_back(st);
  return out;
}

}  // namespace autonomy::jobs
