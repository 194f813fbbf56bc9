#include "jobs/JobStore.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/catalog/SeedRecord.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::jobs {
namespace {

oci::RepoRef ref(const char* text) { return *oci::RepoRef::parse(text); }

JobRecord newJob(std::vector<oci::RepoRef> repos, std::optional<std::string> idempotencyKey = std::nullopt) {
  JobRecord j;
  j.id = newJobId();
  j.createdAt = catalog::nowRfc3339();
  j.spec.from = "edge-a.local:5000";
  j.spec.to = "edge-b.local:5000";
  j.spec.repos = std::move(repos);
  j.spec.keyName = "fleet";
  j.spec.keepGoing = true;
  j.spec.idempotencyKey = std::move(idempotencyKey);
  return j;
}

class JobStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<JobStore> openStore() {
    auto s = JobStore::open(dir_.path() / "state" / "syncd.db");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }
  JobRecord inserted(JobStore& store, std::vector<oci::RepoRef> repos) {
    auto j = newJob(std::move(repos));
    EXPECT_TRUE(store.insert(j).ok());
    return j;
  }
  testing::TempDir dir_{"jobstore"};
};

TEST(JobIds, AreSixteenHexDigitsAndDistinct) {
  const auto a = newJobId();
  EXPECT_TRUE(isValidJobId(a));
  EXPECT_NE(a, newJobId());
  EXPECT_FALSE(isValidJobId("../../etc/passwd"));
  EXPECT_FALSE(isValidJobId("0123456789ABCDEF"));
}

// A job's selections are stored with it; what they pick is added once, as repos after the
// named ones, and the job reads back as expanded with only its named repos in the spec.
TEST_F(JobStoreTest, SelectedReposAreAddedOnceAfterTheNamedOnes) {
  auto store = openStore();
  auto j = newJob({ref("robot-behavior:v1")});
  auto sel = oci::repoSelectionFromJson({{"repo", "fleet/nav"}, {"semver", "^1"}, {"keep_latest", 2}});
  ASSERT_TRUE(sel.ok());
  j.spec.selections.push_back(*sel);
  ASSERT_TRUE(store->insert(j).ok());
  auto queued = store->find(j.id);
  ASSERT_TRUE(queued.ok() && queued->has_value());
  EXPECT_FALSE((*queued)->spec.selectionsExpanded);
  ASSERT_EQ((*queued)->spec.selections.size(), 1u);
  EXPECT_EQ((*queued)->spec.selections[0].tags.describe(), "semver '^1', keep_latest 2");
  EXPECT_TRUE((*queued)->spec.sameRequest(j.spec));

  ASSERT_TRUE(store->addSelectedRepos(j, {ref("fleet/nav:v1.2.0"), ref("fleet/nav:v1.1.0")}).ok());
  EXPECT_TRUE(j.spec.selectionsExpanded);
  ASSERT_EQ(j.repos.size(), 3u);
  EXPECT_EQ(j.repos[2].index, 2u);

  store.reset();
  store = openStore();
  auto found = store->find(j.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  const auto& f = **found;
  EXPECT_TRUE(f.spec.selectionsExpanded);
  ASSERT_EQ(f.repos.size(), 3u);
  EXPECT_EQ(f.repos[1].ref.str(), "fleet/nav:v1.2.0");
  EXPECT_EQ(f.repos[2].ref.str(), "fleet/nav:v1.1.0");
  ASSERT_EQ(f.spec.repos.size(), 1u) << "the spec keeps what was asked";
  auto asked = newJob({ref("robot-behavior:v1")});
  asked.spec.selections.push_back(*sel);
  EXPECT_TRUE(f.spec.sameRequest(asked.spec)) << "an idempotent replay still matches";
}

TEST_F(JobStoreTest, InsertThenFindRoundTripsSpecAndRepos) {
  auto store = openStore();
  auto j = newJob({ref("robot-behavior:v1"), ref("fleet/nav-stack:v2")}, "key-1");
  j.spec.copyPolicy = true;
  ASSERT_TRUE(store->insert(j).ok());
  EXPECT_GT(j.seq, 0);
  auto found = store->find(j.id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  const auto& f = **found;
  EXPECT_EQ(f.state, kJobQueued);
  EXPECT_EQ(f.spec.from, "edge-a.local:5000");
  EXPECT_EQ(f.spec.keyName, "fleet");
  EXPECT_TRUE(f.spec.copyPolicy);
  EXPECT_TRUE(f.spec.keepGoing);
  EXPECT_EQ(f.spec.idempotencyKey, "key-1");
  ASSERT_EQ(f.repos.size(), 2u);
  EXPECT_EQ(f.repos[1].ref.repo, "fleet/nav-stack");
  EXPECT_EQ(f.repos[1].ref.tag, "v2");
  EXPECT_EQ(f.repos[1].state, kRepoPending);
  EXPECT_TRUE(f.spec.sameRequest(j.spec));
}

TEST_F(JobStoreTest, UnknownIdIsEmptyNotAnError) {
  auto store = openStore();
  auto found = store->find("0000000000000000");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(JobStoreTest, IdempotencyKeyFindsTheFirstJobAndIsUnique) {
  auto store = openStore();
  auto first = newJob({ref("a:v1")}, "same");
  ASSERT_TRUE(store->insert(first).ok());
  auto again = store->findByIdempotencyKey("same");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, first.id);
  auto second = newJob({ref("a:v1")}, "same");
  EXPECT_FALSE(store->insert(second).ok());
  auto missing = store->find(second.id);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value()) << "a failed insert leaves nothing behind";
}

TEST_F(JobStoreTest, RepoUpdatesPersistWithErrors) {
  auto store = openStore();
  auto j = inserted(*store, {ref("a:v1"), ref("b:v1")});
  auto t = j.repos[1];
  t.state = catalog::kStatusFailed;
  t.digest = "sha256:" + std::string(64, 'a');
  t.bytes = 1234;
  t.blobsCopied = 2;
  t.blobsMounted = 1;
  t.error = makeError(ErrorCode::kVerification, "no signature");
  t.startedAt = "2025-01-01T00:00:00.000Z";
  t.finishedAt = "2025-01-01T00:00:01.000Z";
  ASSERT_TRUE(store->updateRepo(j.id, t).ok());
  auto f = **store->find(j.id);
  EXPECT_EQ(f.repos[0].state, kRepoPending);
  EXPECT_FALSE(f.repos[0].error);
  EXPECT_EQ(f.repos[1].state, "failed");
  EXPECT_EQ(f.repos[1].bytes, 1234u);
  EXPECT_EQ(f.repos[1].blobsCopied, 2u);
  EXPECT_EQ(f.repos[1].blobsMounted, 1u);
  ASSERT_TRUE(f.repos[1].error);
  EXPECT_EQ(f.repos[1].error->code, ErrorCode::kVerification);
  EXPECT_EQ(f.repos[1].error->message, "no signature");
  EXPECT_EQ(f.repos[1].finishedAt, "2025-01-01T00:00:01.000Z");
}

TEST_F(JobStoreTest, ReopenAfterCrashRequeuesRunningJobsAndKeepsFinishedRepos) {
  std::string runningId;
  std::string doneId;
  {
    auto store = openStore();
    auto running = inserted(*store, {ref("a:v1"), ref("b:v1"), ref("c:v1")});
    runningId = running.id;
    ASSERT_TRUE(store->markStarted(running.id, "2025-01-01T00:00:00.000Z").ok());
    auto a = running.repos[0];
    a.state = catalog::kStatusCopied;
    a.bytes = 10;
    ASSERT_TRUE(store->updateRepo(running.id, a).ok());
    auto b = running.repos[1];
    b.state = kRepoRunning;
    b.startedAt = "2025-01-01T00:00:01.000Z";
    ASSERT_TRUE(store->updateRepo(running.id, b).ok());
    auto done = inserted(*store, {ref("d:v1")});
    doneId = done.id;
    ASSERT_TRUE(store->markFinished(done.id, kJobSucceeded, "2025-01-01T00:00:02.000Z").ok());
    // The process dies here: the store is dropped without the job ever finishing.
  }
  auto store = openStore();
  EXPECT_EQ(store->recoveredJobs(), 1u);
  auto f = **store->find(runningId);
  EXPECT_EQ(f.state, kJobQueued);
  EXPECT_EQ(f.startedAt, "2025-01-01T00:00:00.000Z") << "the first start is kept";
  EXPECT_EQ(f.repos[0].state, "copied");
  EXPECT_EQ(f.repos[0].bytes, 10u);
  EXPECT_EQ(f.repos[1].state, kRepoPending) << "caught mid-copy: redone";
  EXPECT_TRUE(f.repos[1].startedAt.empty());
  EXPECT_EQ(f.repos[2].state, kRepoPending);
  EXPECT_EQ((**store->find(doneId)).state, kJobSucceeded);
  auto queued = store->queuedIds();
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ(queued->front(), runningId);
}

TEST_F(JobStoreTest, KilledProcessLeavesACommittedStateThatResumes) {
  // A child process opens the database, starts a job, finishes one repo, is mid-way through
  // another, and dies by SIGKILL with the connection open (no close, no checkpoint).
  const std::string id = newJobId();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = JobStore::open(dir_.path() / "state" / "syncd.db");
    if (!s) ::_exit(3);
    auto j = newJob({ref("a:v1"), ref("b:v1")});
    j.id = id;
    if (!(*s)->insert(j) || !(*s)->markStarted(id, "2025-01-01T00:00:00.000Z")) ::_exit(4);
    j.repos[0].state = catalog::kStatusUpToDate;
    j.repos[1].state = kRepoRunning;
    if (!(*s)->updateRepo(id, j.repos[0]) || !(*s)->updateRepo(id, j.repos[1])) ::_exit(5);
    ::raise(SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  auto store = openStore();
  EXPECT_EQ(store->recoveredJobs(), 1u);
  auto f = **store->find(id);
  EXPECT_EQ(f.state, kJobQueued);
  EXPECT_EQ(f.repos[0].state, "up-to-date");
  EXPECT_EQ(f.repos[1].state, kRepoPending);
}

TEST_F(JobStoreTest, ListIsNewestFirstFilteredAndPaginated) {
  auto store = openStore();
  std::vector<std::string> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) ids.push_back(inserted(*store, {ref("a:v1")}).id);
  ASSERT_TRUE(store->markFinished(ids[1], kJobFailed, catalog::nowRfc3339()).ok());
  ASSERT_TRUE(store->markFinished(ids[3], kJobFailed, catalog::nowRfc3339()).ok());

  JobFilter page;
  page.limit = 2;
  auto first = store->list(page);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, ids[4]);
  EXPECT_EQ((*first)[1].id, ids[3]);
  page.after = (*first)[1].id;
  auto second = *store->list(page);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, ids[2]);
  EXPECT_EQ(second[1].id, ids[1]);

  JobFilter failed;
  failed.state = std::string(kJobFailed);
  auto f = *store->list(failed);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].id, ids[3]);
  failed.after = ids[3];
  auto g = *store->list(failed);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].id, ids[1]);

  JobFilter bad;
  bad.after = "ffffffffffffffff";
  auto unknown = store->list(bad);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  auto counts = *store->countJobsByState();
  EXPECT_EQ(counts["queued"], 3);
  EXPECT_EQ(counts["failed"], 2);
}

TEST_F(JobStoreTest, PruneDropsOldestFinishedBeyondTheCountAndTooOldOnes) {
  auto store = openStore();
  std::vector<std::string> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) ids.push_back(inserted(*store, {ref("a:v1")}).id);
  ASSERT_TRUE(store->markFinished(ids[0], kJobSucceeded, "2020-01-01T00:00:00.000Z").ok());
  ASSERT_TRUE(store->markFinished(ids[1], kJobSucceeded, "2025-01-01T00:00:00.000Z").ok());
  ASSERT_TRUE(store->markFinished(ids[2], kJobFailed, "2025-01-02T00:00:00.000Z").ok());
  ASSERT_TRUE(store->markFinished(ids[3], kJobCancelled, "2025-01-03T00:00:00.000Z").ok());
  // ids[4] is still queued: never pruned.
  auto removed = store->prune(2, "2024-01-01T00:00:00.000Z");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (std::vector<std::string>{ids[1], ids[0]}));
  for (int i : {2, 3, 4}) EXPECT_TRUE(store->find(ids[static_cast<std::size_t>(i)])->has_value());
  EXPECT_FALSE(store->find(ids[0])->has_value());
  auto byAge = *store->prune(10, "2025-01-02T12:00:00.000Z");
  EXPECT_EQ(byAge, (std::vector<std::string>{ids[2]}));
}

TEST_F(JobStoreTest, ScheduleLastRunSurvivesReopen) {
  {
    auto store = openStore();
    EXPECT_FALSE(store->scheduleLastRun("reseed")->has_value());
    ASSERT_TRUE(store->setScheduleLastRun("reseed", 100).ok());
    ASSERT_TRUE(store->setScheduleLastRun("reseed", 200).ok());
  }
  auto store = openStore();
  EXPECT_EQ(store->scheduleLastRun("reseed")->value_or(0), 200);
}

TEST_F(JobStoreTest, OpenFailsWithAMessageWhenTheStateDirCannotBeCreated) {
  auto blocked = dir_.path() / "file";
  std::ofstream(blocked) << "x";
  auto s = JobStore::open(blocked / "syncd.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find(blocked.string()), std::string::npos);
}

}  // namespace
}  // namespace autonomy::jobs
