#include "jobs/JobScheduler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>

#include "engine/catalog/Catalog.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/support/signer/CosignSigner.hpp"
#include "tests/unit/jobs/FakeEngine.hpp"

namespace autonomy::jobs {
namespace {

using testing::FakeEngine;
using testing::runUntil;

oci::RepoRef parseRef(const std::string& text) { return *oci::RepoRef::parse(text); }

JobSpec spec(const std::vector<std::string>& repos, std::string to = "127.0.0.1:5001") {
  JobSpec s;
  s.from = "127.0.0.1:5000";
  s.to = std::move(to);
  for (auto& r : repos) s.repos.push_back(parseRef(r));
  s.skipVerify = true;
  s.keepGoing = true;
  return s;
}

class JobSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::useFakeEngine(&engine_); }
  void TearDown() override {
    if (!scheduler_) return;
    scheduler_->shutdown();
    runUntil(io_, [&] { return scheduler_->runningJobs() == 0; });
  }

  void startScheduler(std::size_t repoSlots = 4, std::size_t keepFinished = 500) {
    scheduler_.reset();
    store_.reset();
    auto store = JobStore::open(dir_.path() / "syncd.db");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config::DaemonConfig cfg;
    cfg.stateDir = dir_.path();
    cfg.keys["fleet"] = dir_.path() / "fleet.pub";
    std::ofstream(cfg.keys["fleet"]) << signer_.publicPem();
    auto settings = EngineSettings::create(cfg, dir_.path() / "certs.d");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    SchedulerOptions opts;
    opts.stateDir = dir_.path();
    opts.repoSlots = repoSlots;
    opts.keepFinished = keepFinished;
    opts.seed = testing::fakeSeed;
    scheduler_ = std::make_unique<JobScheduler>(io_.get_executor(), *store_, events_, opts, *settings);
    ASSERT_TRUE(scheduler_->start().ok());
  }

  JobRecord submitOk(JobSpec s) {
    auto r = scheduler_->submit(std::move(s));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->job : JobRecord{};
  }

  std::string stateOf(const std::string& id) {
    auto j = scheduler_->find(id);
    return j.ok() && j->has_value() ? (**j).state : "?";
  }

  bool waitFinished(const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return runUntil(
        io_, [&] { return isFinishedJobState(stateOf(id)); }, timeout);
  }

  testing::FakeEngine engine_;
  autonomy::testing::TempDir dir_{"scheduler"};
  autonomy::testing::CosignSigner signer_{autonomy::testing::KeyKind::kEcdsaP256};
  boost::asio::io_context io_;
  EventHub events_{io_.get_executor()};
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<JobScheduler> scheduler_;
};

TEST_F(JobSchedulerTest, RunsAJobAndWritesSeedRecordsAndTheCatalog) {
  startScheduler();
  auto job = submitOk(spec({"robot-behavior:v1", "fleet/nav-stack:v2"}));
  ASSERT_TRUE(waitFinished(job.id));
  auto done = **scheduler_->find(job.id);
  EXPECT_EQ(done.state, kJobSucceeded);
  EXPECT_FALSE(done.startedAt.empty());
  EXPECT_FALSE(done.finishedAt.empty());
  for (const auto& t : done.repos) {
    EXPECT_EQ(t.state, "copied");
    EXPECT_EQ(t.bytes, 100u);
  }
  const auto dir = scheduler_->jobDir(job.id);
  EXPECT_TRUE(std::filesystem::exists(dir / "robot-behavior" / "seed.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "fleet" / "nav-stack" / "seed.json"));
  auto cat = catalog::buildCatalogFromDir(dir);
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(cat->result(), "ok");
  EXPECT_TRUE(std::filesystem::exists(dir / "catalog.json"));
}

TEST_F(JobSchedulerTest, PublishesEventsFromStartToJobDone) {
  startScheduler();
  auto job = submitOk(spec({"a:v1"}));
  auto sub = events_.subscribe(job.id);
  ASSERT_TRUE(waitFinished(job.id));
  std::vector<std::string> types;
  while (!sub->closed()) {
    std::optional<JobEvent> e;
    boost::asio::co_spawn(io_, sub->next(std::chrono::milliseconds(10)),
                          [&](const std::exception_ptr&, std::optional<JobEvent> got) { e = std::move(got); });
    io_.restart();
    io_.run_for(std::chrono::milliseconds(50));
    if (e) types.push_back(e->type);
  }
  // The run starts on the io_context, after submit() returned and the subscription was made.
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types[0], kEventJobStarted);
  EXPECT_EQ(types[1], kEventRepoStarted);
  EXPECT_EQ(types.back(), kEventJobDone);
  EXPECT_NE(std::find(types.begin(), types.end(), kEventRepoDone), types.end());
}

TEST_F(JobSchedulerTest, NeverRunsMoreReposThanTheGlobalLimit) {
  startScheduler(2);
  auto a = submitOk(spec({"a1:v1", "a2:v1", "a3:v1", "a4:v1"}));
  auto b = submitOk(spec({"b1:v1", "b2:v1", "b3:v1"}, "127.0.0.1:5002"));
  ASSERT_TRUE(waitFinished(a.id));
  ASSERT_TRUE(waitFinished(b.id));
  EXPECT_EQ(engine_.maxInFlight, 2u);
}

TEST_F(JobSchedulerTest, AJobsReposRunInParallel) {
  startScheduler(4);
  engine_.delay = std::chrono::milliseconds(100);
  auto a = submitOk(spec({"a1:v1", "a2:v1", "a3:v1", "a4:v1"}));
  ASSERT_TRUE(waitFinished(a.id));
  EXPECT_EQ(engine_.maxInFlight, 4u);
}

TEST_F(JobSchedulerTest, TwoJobsNeverWriteTheSameDestinationRepoAtOnce) {
  startScheduler(4);
  engine_.delay = std::chrono::milliseconds(60);
  auto a = submitOk(spec({"shared:v1", "only-a:v1"}));
  auto b = submitOk(spec({"shared:v2", "only-b:v1"}));
  ASSERT_TRUE(waitFinished(a.id));
  ASSERT_TRUE(waitFinished(b.id));
  EXPECT_FALSE(engine_.overlap);
  EXPECT_EQ(engine_.calls["shared"], 2);
  EXPECT_EQ(stateOf(a.id), kJobSucceeded);
  EXPECT_EQ(stateOf(b.id), kJobSucceeded);
}

TEST_F(JobSchedulerTest, TheSameRepoAtAnotherDestinationDoesNotWait) {
  startScheduler(4);
  engine_.delay = std::chrono::milliseconds(80);
  auto a = submitOk(spec({"shared:v1"}, "127.0.0.1:5001"));
  auto b = submitOk(spec({"shared:v1"}, "127.0.0.1:5002"));
  ASSERT_TRUE(waitFinished(a.id));
  ASSERT_TRUE(waitFinished(b.id));
  EXPECT_EQ(engine_.maxInFlight, 2u);
}

TEST_F(JobSchedulerTest, CancelStopsARunningJobPromptly) {
  startScheduler(4);
  engine_.delay = std::chrono::seconds(30);
  auto job = submitOk(spec({"a:v1", "b:v1"}));
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 2; }));
  const auto t0 = std::chrono::steady_clock::now();
  auto c = scheduler_->cancel(job.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, CancelStatus::kCancelling);
  ASSERT_TRUE(waitFinished(job.id, std::chrono::seconds(2)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  auto done = **scheduler_->find(job.id);
  EXPECT_EQ(done.state, kJobCancelled);
  for (const auto& t : done.repos) EXPECT_EQ(t.state, "cancelled");
  auto again = scheduler_->cancel(job.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, CancelStatus::kAlreadyFinished);
}

TEST_F(JobSchedulerTest, CancelWhileWaitingForADestinationLockEndsTheWait) {
  startScheduler(4);
  engine_.delay = std::chrono::milliseconds(500);
  auto a = submitOk(spec({"shared:v1"}));
  auto b = submitOk(spec({"shared:v2"}));
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  ASSERT_TRUE(scheduler_->cancel(b.id).ok());
  ASSERT_TRUE(waitFinished(b.id, std::chrono::milliseconds(200)));
  EXPECT_EQ(stateOf(b.id), kJobCancelled);
  ASSERT_TRUE(waitFinished(a.id));
  EXPECT_EQ(stateOf(a.id), kJobSucceeded);
  EXPECT_EQ(engine_.calls["shared"], 1);
}

TEST_F(JobSchedulerTest, CancelAQueuedJobEndsItAtOnce) {
  startScheduler(1);
  engine_.delay = std::chrono::milliseconds(300);
  auto a = submitOk(spec({"a:v1"}));
  auto b = submitOk(spec({"b:v1"}));
  EXPECT_EQ(stateOf(b.id), kJobQueued);
  auto c = scheduler_->cancel(b.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, CancelStatus::kCancelled);
  EXPECT_EQ(stateOf(b.id), kJobCancelled);
  EXPECT_TRUE(std::filesystem::exists(scheduler_->jobDir(b.id) / "catalog.json"));
  ASSERT_TRUE(waitFinished(a.id));
  EXPECT_EQ(engine_.calls.count("b"), 0u);
}

TEST_F(JobSchedulerTest, CancelUnknownJobIsNotFound) {
  startScheduler();
  auto c = scheduler_->cancel("0123456789abcdef");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

TEST_F(JobSchedulerTest, AFailureWithoutKeepGoingLeavesTheRestNotAttempted) {
  startScheduler(1);
  engine_.failRepos = {"b"};
  auto s = spec({"a:v1", "b:v1", "c:v1"});
  s.keepGoing = false;
  auto job = submitOk(s);
  ASSERT_TRUE(waitFinished(job.id));
  auto done = **scheduler_->find(job.id);
  EXPECT_EQ(done.state, kJobPartial);
  EXPECT_EQ(done.repos[0].state, "copied");
  EXPECT_EQ(done.repos[1].state, "failed");
  ASSERT_TRUE(done.repos[1].error);
  EXPECT_EQ(done.repos[1].error->code, ErrorCode::kVerification);
  EXPECT_EQ(done.repos[2].state, "not-attempted");
  EXPECT_EQ(scheduler_->metrics().verificationFailures, 1u);
}

TEST_F(JobSchedulerTest, WithKeepGoingEveryRepoIsAttempted) {
  startScheduler(1);
  engine_.failRepos = {"a", "b"};
  auto job = submitOk(spec({"a:v1", "b:v1"}));
  ASSERT_TRUE(waitFinished(job.id));
  EXPECT_EQ(stateOf(job.id), kJobFailed);
  EXPECT_EQ(engine_.calls.size(), 2u);
}

TEST_F(JobSchedulerTest, ShutdownRequeuesAndTheNextStartFinishesWithoutRedoingDoneRepos) {
  startScheduler(1);
  engine_.delay = std::chrono::milliseconds(200);
  auto job = submitOk(spec({"a:v1", "b:v1", "c:v1"}));
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.calls.count("b") > 0; }));
  scheduler_->shutdown();
  EXPECT_FALSE(scheduler_->submit(spec({"x:v1"})).ok());
  bool idle = false;
  boost::asio::co_spawn(io_, scheduler_->waitIdle(std::chrono::steady_clock::now() + std::chrono::seconds(5)),
                        [&](const std::exception_ptr&, bool v) { idle = v; });
  ASSERT_TRUE(runUntil(io_, [&] { return idle; }));
  {
    auto mid = **store_->find(job.id);
    EXPECT_EQ(mid.state, kJobQueued);
    EXPECT_EQ(mid.repos[0].state, "copied");
    EXPECT_EQ(mid.repos[1].state, kRepoPending);
    EXPECT_EQ(mid.repos[2].state, kRepoPending);
  }
  engine_.delay = std::chrono::milliseconds(10);
  startScheduler(1);
  ASSERT_TRUE(waitFinished(job.id));
  EXPECT_EQ(stateOf(job.id), kJobSucceeded);
  EXPECT_EQ(engine_.calls["a"], 1) << "a finished before the shutdown";
  EXPECT_EQ(engine_.calls["b"], 2);
  EXPECT_EQ(engine_.calls["c"], 1);
  auto cat = catalog::buildCatalogFromDir(scheduler_->jobDir(job.id));
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(cat->repos.size(), 3u);
}

TEST_F(JobSchedulerTest, SubmitChecksTheSpecNamingTheField) {
  startScheduler();
  auto noMode = spec({"a:v1"});
  noMode.skipVerify = false;
  auto r = scheduler_->submit(noMode);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  EXPECT_EQ(r.error().message.rfind("key:", 0), 0u) << r.error().message;

  auto unknownKey = spec({"a:v1"});
  unknownKey.skipVerify = false;
  unknownKey.keyName = "nope";
  EXPECT_EQ(scheduler_->submit(unknownKey).error().message.rfind("key:", 0), 0u);

  auto named = spec({"a:v1"});
  named.skipVerify = false;
  named.keyName = "fleet";
  EXPECT_TRUE(scheduler_->submit(named).ok());

  auto badPem = spec({"a:v1"});
  badPem.skipVerify = false;
  badPem.pubKeyPem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_EQ(scheduler_->submit(badPem).error().message.rfind("pub_key_pem:", 0), 0u);

  EXPECT_TRUE(scheduler_->submit(spec({"a:v1", "a:v2"})).ok()) << "several tags of one repo";
  auto twice = spec({"a:v1", "a:v1"});
  EXPECT_EQ(scheduler_->submit(twice).error().message.rfind("repos[1]:", 0), 0u);

  auto badHost = spec({"a:v1"});
  badHost.to = "bad host";
  EXPECT_EQ(scheduler_->submit(badHost).error().message.rfind("to_registry:", 0), 0u);
}

TEST_F(JobSchedulerTest, IdempotencyKeyReplaysOrConflicts) {
  startScheduler();
  auto s = spec({"a:v1"});
  s.idempotencyKey = "k1";
  auto first = scheduler_->submit(s);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, SubmitStatus::kCreated);
  auto again = scheduler_->submit(s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, SubmitStatus::kReplayed);
  EXPECT_EQ(again->job.id, first->job.id);
  auto other = spec({"b:v1"});
  other.idempotencyKey = "k1";
  auto conflict = scheduler_->submit(other);
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(conflict->status, SubmitStatus::kKeyConflict);
  ASSERT_TRUE(waitFinished(first->job.id));
}

TEST_F(JobSchedulerTest, FinishedJobsBeyondKeepFinishedArePrunedWithTheirFiles) {
  startScheduler(4, 1);
  auto a = submitOk(spec({"a:v1"}));
  ASSERT_TRUE(waitFinished(a.id));
  auto b = submitOk(spec({"b:v1"}));
  ASSERT_TRUE(waitFinished(b.id));
  ASSERT_TRUE(runUntil(io_, [&] { return scheduler_->runningJobs() == 0; }));
  EXPECT_FALSE(store_->find(a.id)->has_value());
  EXPECT_FALSE(std::filesystem::exists(scheduler_->jobDir(a.id)));
  EXPECT_TRUE(store_->find(b.id)->has_value());
  EXPECT_TRUE(std::filesystem::exists(scheduler_->jobDir(b.id) / "catalog.json"));
}

TEST_F(JobSchedulerTest, LiveJobsShowBytesInProgress) {
  startScheduler();
  engine_.delay = std::chrono::milliseconds(300);
  auto job = submitOk(spec({"a:v1"}));
  ASSERT_TRUE(runUntil(io_, [&] { return engine_.inFlight == 1; }));
  auto live = **scheduler_->find(job.id);
  EXPECT_EQ(live.state, kJobRunning);
  EXPECT_EQ(live.repos[0].state, kRepoRunning);
  EXPECT_EQ(live.repos[0].bytes, 100u);
  JobFilter running;
  running.state = std::string(kJobRunning);
  auto listed = scheduler_->list(running);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].repos[0].bytes, 100u);
  ASSERT_TRUE(waitFinished(job.id));
}

}  // namespace
}  // namespace autonomy::jobs
