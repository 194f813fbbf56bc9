#pragma once
// When a schedule is due. Pure time arithmetic, so it is tested without waiting:
//  - `every`: one interval after the last run; a schedule that never ran is due at once.
//  - `cron`: the next matching minute after the last run (UTC); one that never ran waits for
//    the next matching minute.
//  - a run missed while the daemon was down (the due time has passed) is due now, once; the
//    ones after it follow the schedule again.
// Jitter is added on top, uniformly in [0, jitter], so a fleet does not hit a registry at once.
#include <chrono>
#include <optional>
#include <random>

#include "config/DaemonConfig.hpp"

namespace autonomy::jobs {

using SystemTime = std::chrono::system_clock::time_point;

SystemTime firstDue(const config::Schedule& schedule, std::optional<SystemTime> lastRun, SystemTime now);
// After a run that started at `ranAt`.
SystemTime nextDue(const config::Schedule& schedule, SystemTime ranAt);
// Whether the first due time is a catch-up for a run missed while the daemon was down.
bool missedWhileDown(const config::Schedule& schedule, std::optional<SystemTime> lastRun, SystemTime now);
SystemTime withJitter(SystemTime due, std::chrono::seconds jitter, std::mt19937_64& rng);

}  // namespace autonomy::jobs
