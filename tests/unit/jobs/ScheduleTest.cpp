#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "jobs/ScheduleClock.hpp"
#include "jobs/ScheduleRunner.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/unit/jobs/FakeEngine.hpp"

namespace autonomy::jobs {
namespace {

using namespace std::chrono_literals;
using testing::runUntil;

SystemTime at(int hour, int minute = 0) {
  return std::chrono::sys_days{std::chrono::year{2025} / 3 / 10} + std::chrono::hours(hour) +
         std::chrono::minutes(minute);
}

config::Schedule every(std::chrono::seconds interval, std::string name = "reseed") {
  config::Schedule s;
  s.name = std::move(name);
  s.every = interval;
  s.from = "127.0.0.1:5000";
  s.to = "127.0.0.1:5001";
  s.repos = {*oci::RepoRef::parse("robot-behavior:v1")};
  s.skipVerify = true;
  return s;
}

config::Schedule cron(const char* expr) {
  auto s = every(1s);
  s.every.reset();
  s.cron = *config::CronExpression::parse(expr);
  return s;
}

TEST(ScheduleClock, EveryIsDueOneIntervalAfterTheLastRun) {
  const auto s = every(30min);
  EXPECT_EQ(firstDue(s, at(10, 0), at(10, 10)), at(10, 30));
  EXPECT_FALSE(missedWhileDown(s, at(10, 0), at(10, 10)));
  EXPECT_EQ(nextDue(s, at(10, 30)), at(11, 0));
}

TEST(ScheduleClock, AnEveryScheduleThatNeverRanIsDueAtOnce) {
  EXPECT_EQ(firstDue(every(30min), std::nullopt, at(10, 10)), at(10, 10));
  EXPECT_FALSE(missedWhileDown(every(30min), std::nullopt, at(10, 10)));
}

TEST(ScheduleClock, ARunMissedWhileDownIsDueNowOnce) {
  const auto s = every(30min);
  // Down from 10:05 to 13:00: six runs missed, one catch-up run now, then back on the interval.
  EXPECT_TRUE(missedWhileDown(s, at(10, 0), at(13, 0)));
  EXPECT_EQ(firstDue(s, at(10, 0), at(13, 0)), at(13, 0));
  EXPECT_EQ(nextDue(s, at(13, 0)), at(13, 30));
}

TEST(ScheduleClock, CronFollowsTheExpressionInUtc) {
  const auto s = cron("*/15 * * * *");
  EXPECT_EQ(firstDue(s, std::nullopt, at(10, 7)), at(10, 15)) << "never ran: wait for the next match";
  EXPECT_EQ(firstDue(s, at(10, 0), at(10, 7)), at(10, 15));
  EXPECT_TRUE(missedWhileDown(s, at(9, 0), at(10, 7)));
  EXPECT_EQ(firstDue(s, at(9, 0), at(10, 7)), at(10, 7));
  EXPECT_EQ(nextDue(s, at(10, 7)), at(10, 15));
}

TEST(ScheduleClock, JitterStaysWithinItsWindow) {
  std::mt19937_64 rng(42);
  bool moved = false;
  for (int i = 0; i < 200; ++i) {
    const auto t = withJitter(at(10), 2min, rng);
    EXPECT_GE(t, at(10));
    EXPECT_LE(t, at(10, 2));
    moved = moved || t != at(10);
  }
  EXPECT_TRUE(moved);
  EXPECT_EQ(withJitter(at(10), 0s, rng), at(10));
}

class ScheduleRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::useFakeEngine(&engine_);
    auto store = JobStore::open(dir_.path() / "syncd.db");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    config::DaemonConfig cfg;
    cfg.stateDir = dir_.path();
    SchedulerOptions opts;
    opts.stateDir = dir_.path();
    opts.seed = testing::fakeSeed;
    opts.onFinished = [this](const JobRecord& job) {
      if (runner_) runner_->jobFinished(job);
    };
    scheduler_ = std::make_unique<JobScheduler>(io_.get_executor(), *store_, events_, opts,
                                                *EngineSettings::create(cfg, dir_.path() / "certs.d"));
    ASSERT_TRUE(scheduler_->start().ok());
    runner_ = std::make_unique<ScheduleRunner>(io_.get_executor(), *scheduler_, *store_);
  }
  void TearDown() override {
    runner_->stop();
    scheduler_->shutdown();
    runUntil(io_, [&] { return scheduler_->runningJobs() == 0; });
  }

  std::size_t jobCount() {
    JobFilter all;
    all.limit = 100;
    return scheduler_->list(all)->size();
  }

  testing::FakeEngine engine_;
  autonomy::testing::TempDir dir_{"schedules"};
  boost::asio::io_context io_;
  EventHub events_{io_.get_executor()};
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<JobScheduler> scheduler_;
  std::unique_ptr<ScheduleRunner> runner_;
};

TEST_F(ScheduleRunnerTest, AMissedRunFiresOnceAtStartAndIsRemembered) {
  const auto twoHoursAgo = std::chrono::system_clock::now() - 2h;
  ASSERT_TRUE(
      store_
          ->setScheduleLastRun("reseed",
                               std::chrono::duration_cast<std::chrono::seconds>(twoHoursAgo.time_since_epoch()).count())
          .ok());
  runner_->apply({every(30min)});
  runner_->start();
  ASSERT_TRUE(runUntil(io_, [&] { return jobCount() == 1; }));
  runUntil(
      io_, [] { return false; }, 200ms);
  EXPECT_EQ(jobCount(), 1u) << "one catch-up run, not one per missed interval";
  auto states = runner_->states();
  ASSERT_EQ(states.size(), 1u);
  ASSERT_TRUE(states[0].nextRun);
  EXPECT_GT(*states[0].nextRun, std::chrono::system_clock::now() + 29min);
  auto saved = store_->scheduleLastRun("reseed");
  ASSERT_TRUE(saved.ok() && saved->has_value());
  EXPECT_GT(**saved, std::chrono::duration_cast<std::chrono::seconds>(twoHoursAgo.time_since_epoch()).count());
  auto job = (*scheduler_->find(states[0].lastJob))->spec;
  EXPECT_EQ(job.schedule, "reseed");
  EXPECT_TRUE(job.skipVerify);
}

TEST_F(ScheduleRunnerTest, ARecentRunIsNotRepeatedAtStart) {
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(
      store_
          ->setScheduleLastRun(
              "reseed", std::chrono::duration_cast<std::chrono::seconds>((now - 1min).time_since_epoch()).count())
          .ok());
  runner_->apply({every(30min)});
  runner_->start();
  runUntil(
      io_, [] { return false; }, 200ms);
  EXPECT_EQ(jobCount(), 0u);
}

TEST_F(ScheduleRunnerTest, ShortIntervalsFireRepeatedly) {
  engine_.delay = 5ms;
  runner_->apply({every(1s)});
  runner_->start();
  ASSERT_TRUE(runUntil(
      io_, [&] { return jobCount() >= 2; }, 5s));
}

TEST_F(ScheduleRunnerTest, DisabledSchedulesDoNotFireButCanBeRunByHand) {
  auto s = every(1s);
  s.enabled = false;
  runner_->apply({s});
  runner_->start();
  runUntil(
      io_, [] { return false; }, 300ms);
  EXPECT_EQ(jobCount(), 0u);
  auto r = runner_->runNow("reseed");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->job.spec.schedule, "reseed");
  auto missing = runner_->runNow("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ScheduleRunnerTest, AScheduleWhoseLastJobIsStillRunningSkipsATurn) {
  engine_.delay = 3s;
  runner_->apply({every(1s)});
  runner_->start();
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  runUntil(
      io_, [] { return false; }, 1500ms);
  EXPECT_EQ(jobCount(), 1u);
}

// A chain's triggers: one run per burst while it is queued, one more after a running one.
TEST_F(ScheduleRunnerTest, TriggersCoalesceWhileQueuedAndFollowARunningJobOnce) {
  engine_.delay = 600ms;
  runner_->apply({every(1h)});  // never ran: due now; started below instead
  auto first = runner_->trigger("reseed", "test");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->outcome, TriggerOutcome::kStarted);
  ASSERT_TRUE(first->job);
  auto again = runner_->trigger("reseed", "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, TriggerOutcome::kQueued) << "the queued job serves this trigger too";
  EXPECT_EQ(again->job->id, first->job->id);
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  for (int i = 0; i < 3; ++i) {
    auto during = runner_->trigger("reseed", "test");
    ASSERT_TRUE(during.ok());
    EXPECT_EQ(during->outcome, TriggerOutcome::kAfterRunning);
    EXPECT_EQ(during->job->id, first->job->id);
  }
  runner_->start();
  ASSERT_TRUE(runUntil(
      io_, [&] { return jobCount() == 2; }, 5s))
      << "one more run after the running job";
  runUntil(
      io_, [] { return false; }, 1500ms);
  EXPECT_EQ(jobCount(), 2u) << "three triggers during the run make one run after it";
  const auto& counted = runner_->triggersReceived();
  EXPECT_EQ(counted.at({"reseed", "started"}), 1u);
  EXPECT_EQ(counted.at({"reseed", "queued"}), 1u);
  EXPECT_EQ(counted.at({"reseed", "after_running"}), 3u);
}

TEST_F(ScheduleRunnerTest, AReloadKeepsTheRunATriggerDuringARunningJobOwes) {
  engine_.delay = 600ms;
  runner_->apply({every(24h)});
  auto first = runner_->trigger("reseed", "test");
  ASSERT_TRUE(first.ok() && first->job);
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  auto during = runner_->trigger("reseed", "test");
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->outcome, TriggerOutcome::kAfterRunning);
  runner_->apply({every(24h)});  // a SIGHUP while the run is going
  runner_->start();
  EXPECT_TRUE(runUntil(
      io_, [&] { return jobCount() == 2; }, 5s))
      << "the run the trigger asked for still follows";
}

TEST_F(ScheduleRunnerTest, TriggersStartNothingForDisabledOrUnknownSchedules) {
  auto s = every(1h);
  s.enabled = false;
  runner_->apply({s});
  auto r = runner_->trigger("reseed", "test");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, TriggerOutcome::kDisabled);
  EXPECT_FALSE(r->job);
  EXPECT_EQ(jobCount(), 0u);
  auto missing = runner_->trigger("nope", "test");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ScheduleRunnerTest, ReloadReplacesTheSet) {
  runner_->apply({every(1h, "a"), every(1h, "b")});
  EXPECT_EQ(runner_->states().size(), 2u);
  runner_->apply({every(1h, "b"), every(2h, "c")});
  auto states = runner_->states();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].schedule.name, "b");
  EXPECT_EQ(states[1].schedule.name, "c");
}

}  // namespace
}  // namespace autonomy::jobs

namespace autonomy::jobs {
namespace {

// After a restart a resumed job of the schedule is still going: the due run waits for it (the
// "still running" check must not live in memory only).
TEST_F(ScheduleRunnerTest, AfterARestartTheResumedJobStillCountsAsTheLastRun) {
  engine_.delay = 3s;
  runner_->apply({every(1s)});
  runner_->start();
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  runner_->stop();
  runner_ = std::make_unique<ScheduleRunner>(io_.get_executor(), *scheduler_, *store_);  // fresh memory
  runner_->apply({every(1s)});
  runner_->start();
  runUntil(
      io_, [] { return false; }, 1500ms);
  EXPECT_EQ(jobCount(), 1u);
}

}  // namespace
}  // namespace autonomy::jobs
