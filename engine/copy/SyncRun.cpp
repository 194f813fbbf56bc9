#include "engine/copy/SyncRun.hpp"

#include "engine/registry/TaskGroup.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {
constexpr std::size_t kCheckConcurrency = 16;

struct RepoQueue {
  RunOptions opts;
  std::vector<std::optional<catalog::SeedRecord>> records;
  std::size_t next = 0;
  bool stop = false;                 // a repo failed and keep-going is off
  std::unique_ptr<CopyTurns> turns;  // without keep-going: copies start in order
};

Task<void> repoWorker(CopyContext* ctx, std::shared_ptr<RepoQueue> q) {
  while (!q->stop && q->next < q->opts.repos.size()) {
    if (ctx->cancel && ctx->cancel->cancelled()) break;
    const std::size_t i = q->next++;
    const auto& plan = q->opts.repos[i];
    if (q->opts.alreadyDone && q->opts.alreadyDone(plan)) {
      if (q->turns) q->turns->pass(i);
      continue;
    }
    SeedRequest req{plan.source, plan.dest, q->opts.trust, q->opts.copyPolicy, i};
    auto record = co_await runSeed(ctx, req);
    const bool failed = !record.ok() && record.status != catalog::kStatusNotAttempted;
    // A failure stops the run in order: it counts once every earlier repo has had its turn.
    if (failed && q->turns) co_await q->turns->waitTurn(i, nullptr);
    if (q->turns) q->turns->pass(i);
    if (record.status == catalog::kStatusNotAttempted && q->opts.trust) {
      record.verification.skipped = false;
      record.verification.keyFingerprint = q->opts.trust->key.fingerprint();
      record.verification.keyType = q->opts.trust->key.describe();
    }
    if (failed && !q->opts.keepGoing) {
      q->stop = true;
      if (q->turns) q->turns->openAll();  // repos waiting for their turn find the run stopped
    }
    if (q->opts.onRecord) q->opts.onRecord(record);
    q->records[i] = std::move(record);
  }
}
}  // namespace

catalog::SeedRecord unstartedRecord(const CopyContext& ctx, const RepoPlan& plan, const char* status) {
  catalog::SeedRecord r;
  r.repo = plan.dest.repo;
  r.tag = plan.dest.tag;
  r.source = ctx.source->host() + "/" + plan.source.str();
  r.destination = ctx.dest->host() + "/" + plan.dest.str();
  r.status = status;
  r.verification.skipped = true;
  return r;
}

Task<std::vector<catalog::SeedRecord>> runRepos(CopyContext* ctx, RunOptions opts) {
  auto q = std::make_shared<RepoQueue>();
  q->records.resize(opts.repos.size());
  // Checks (a few small requests per repo) run wider than copies: a no-op re-sync of many repos
  // over a far link then costs a few round trips, not one per repo.
  const auto copies = std::max<std::size_t>(1, opts.repoConcurrency);
  // Without keep-going the run is fail-fast in the order given: checks still run ahead, but
  // copies start in order (CopyTurns), so no later repo is copied past an earlier failure.
  const auto checks = opts.checkConcurrency > 0 ? opts.checkConcurrency : std::max(copies, kCheckConcurrency);
  const auto workers = std::min(std::max<std::size_t>(1, checks), opts.repos.size());
  q->opts = std::move(opts);
  if (!q->opts.keepGoing) q->turns = std::make_unique<CopyTurns>(ctx->source->executor(), q->opts.repos.size());
  registry::AsyncGate copyGate(ctx->source->executor(), copies);
  auto* const previousGate = ctx->copyGate;
  auto* const previousStop = ctx->runStopped;
  auto* const previousTurns = ctx->turns;
  ctx->copyGate = &copyGate;
  ctx->runStopped = &q->stop;
  ctx->turns = q->turns.get();
  registry::TaskGroup group(ctx->source->executor());
  for (std::size_t i = 0; i < workers; ++i) group.spawn(repoWorker(ctx, q));
  co_await group.wait();
  ctx->copyGate = previousGate;
  ctx->runStopped = previousStop;
  ctx->turns = previousTurns;
  std::vector<catalog::SeedRecord> out;
  for (std::size_t i = 0; i < q->records.size(); ++i) {
    const auto& plan = q->opts.repos[i];
    if (q->records[i]) {
      out.push_back(std::move(*q->records[i]));
      continue;
    }
    if (q->opts.alreadyDone && q->opts.alreadyDone(plan)) continue;
    const bool cancelled = ctx->cancel && ctx->cancel->cancelled();
    auto r = unstartedRecord(*ctx, plan, cancelled ? catalog::kStatusCancelled : catalog::kStatusNotAttempted);
    if (q->opts.trust) {
      r.verification.skipped = false;  // it would have been verified: not "skipped"
      r.verification.keyFingerprint = q->opts.trust->key.fingerprint();
      r.verification.keyType = q->opts.trust->key.describe();
    }
    if (q->opts.onRecord) q->opts.onRecord(r);
    out.push_back(std::move(r));
  }
  co_return out;
}

}  // namespace autonomy::copy
