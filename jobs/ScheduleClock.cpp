#include "jobs/ScheduleClock.hpp"

namespace autonomy::jobs {

bool missedWhileDown(const config::Schedule& s, std::optional<SystemTime> lastRun, SystemTime now) {
  return lastRun && s.nextRunAfter(*lastRun) <= now;
}

SystemTime firstDue(const config::Schedule& s, std::optional<SystemTime> lastRun, SystemTime now) {
  if (!lastRun) return s.cron ? s.cron->next(now) : now;
  const auto due = s.nextRunAfter(*lastRun);
  return due <= now ? now : due;
}

SystemTime nextDue(const config::Schedule& s, SystemTime ranAt) { return s.nextRunAfter(ranAt); }

SystemTime withJitter(SystemTime due, std::chrono::seconds jitter, std::mt19937_64& rng) {
  if (jitter.count() <= 0) return due;
  std::uniform_int_distribution<std::int64_t> pick(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(jitter).count());
  return due + std::chrono::milliseconds(pick(rng));
}

}  // namespace autonomy::jobs
