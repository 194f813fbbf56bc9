#include "engine/copy/SyncRun.hpp"

#include "engine/async/TaskGroup.hpp"

namespace autonomy::copy {

using registry::Task;

namespace {
// Checks (a few small requests per repo) run wider than copies: a no-op re-sync of many repos
// over a far link then costs a few round trips, not one per repo.
constexpr std::size_t kCheckConcurrency = 16;

void describeKey(catalog::Verification& v, const verify::TrustPolicy& trust) {
  v.skipped = false;
  v.keyFingerprint = trust.key.fingerprint();
  v.keyType = trust.key.describe();
}
}  // namespace

Task<std::unique_ptr<RepoHold>> RunHooks::hold(std::size_t, CancelTokenPtr) { co_return std::make_unique<RepoHold>(); }

catalog::SeedRecord unstartedRecord(const std::string& sourceHost, const std::string& destHost, const RepoPlan& plan,
                                    const char* status, const verify::TrustPolicy* trust) {
  catalog::SeedRecord r;
  r.repo = plan.dest.repo;
  r.tag = plan.dest.tag;
  if (plan.dest.digest && plan.dest.tag.empty()) r.digest = plan.dest.digest->str();  // pinned: what was asked
  r.source = sourceHost + "/" + plan.source.str();
  r.destination = destHost + "/" + plan.dest.str();
  r.status = status;
  r.verification.skipped = true;
  if (trust) describeKey(r.verification, *trust);
  return r;
}

SyncRun::SyncRun(CopyContext& ctx, RunOptions opts, RunHooks& hooks, std::shared_ptr<async::AsyncGate> copySlots,
                 SeedFunction seed)
    : ctx_(ctx),
      opts_(std::move(opts)),
      hooks_(hooks),
      copySlots_(std::move(copySlots)),
      seed_(std::move(seed)),
      records_(opts_.repos.size()) {
  if (!copySlots_)
    copySlots_ =
        std::make_shared<async::AsyncGate>(ctx_.source->executor(), std::max<std::size_t>(1, opts_.repoConcurrency));
  // Without keep-going the run is fail-fast in the order given: checks still run ahead, but
  // copies start in order, so no later repo is copied past an earlier failure.
  if (!opts_.keepGoing) turns_.emplace(ctx_.source->executor(), opts_.repos.size());
  std::map<std::string, std::size_t> named;
  for (const auto& plan : opts_.repos) ++named[plan.dest.repo];
  for (const auto& [repo, times] : named)
    if (times > 1) sameRepo_.emplace(repo, std::make_unique<async::AsyncGate>(ctx_.source->executor(), 1));
}

Task<CopyAdmission::Ticket> SyncRun::admit(std::size_t order, CancelTokenPtr cancel) {
  Ticket t;
  if (turns_ && !co_await turns_->waitTurn(order, cancel)) {
    t.verdict = Verdict::kCancelled;
    co_return t;
  }
  if (stopped_) {
    t.verdict = Verdict::kStopped;
    co_return t;
  }
  if (!co_await copySlots_->acquire(cancel)) {
    t.verdict = Verdict::kCancelled;
    co_return t;
  }
  t.pass = async::GatePass(copySlots_.get());
  if (turns_) turns_->pass(order);
  // The slot may have come after an earlier repo failed.
  if (stopped_) {
    t.pass.reset();
    t.verdict = Verdict::kStopped;
  }
  co_return t;
}

void SyncRun::record(std::size_t index, catalog::SeedRecord r) {
  if (r.status == catalog::kStatusNotAttempted && opts_.trust && r.verification.skipped)
    describeKey(r.verification, *opts_.trust);
  hooks_.recorded(index, r);
  records_[index] = std::move(r);
}

Task<void> SyncRun::runOne(std::size_t index) {
  const auto& plan = opts_.repos[index];
  // Several tags of one repo copy one after another, in the order given: progress, the daemon's
  // locks and the destination's tags know a repo by its name.
  async::GatePass sameRepo;
  if (auto it = sameRepo_.find(plan.dest.repo); it != sameRepo_.end()) {
    if (!co_await it->second->acquire(ctx_.cancel)) co_return;  // cancelled: recorded as never started
    sameRepo = async::GatePass(it->second.get());
  }
  auto held = co_await hooks_.hold(index, ctx_.cancel);
  if (!held) co_return;  // cancelled while waiting: recorded with the repos never started
  hooks_.started(index);
  SeedRequest req{plan.source, plan.dest, opts_.trust, opts_.copyPolicy, index};
  Task<catalog::SeedRecord> seeding =
      seed_ ? seed_(&ctx_, std::move(req), *this) : runSeed(&ctx_, std::move(req), *this);
  auto r = co_await std::move(seeding);
  const bool failed = !r.ok() && r.status != catalog::kStatusNotAttempted;
  // A failure stops the run in order: it counts once every earlier repo has had its turn.
  if (failed && turns_) co_await turns_->waitTurn(index, nullptr);
  if (turns_) turns_->pass(index);
  if (failed && !opts_.keepGoing) {
    stopped_ = true;
    if (turns_) turns_->openAll();  // repos waiting for their turn find the run stopped
  }
  record(index, std::move(r));
}

Task<void> SyncRun::worker() {
  while (!stopped_ && next_ < opts_.repos.size()) {
    if (cancelled()) break;
    const std::size_t i = next_++;
    if (hooks_.alreadyDone(i)) {
      if (turns_) turns_->pass(i);
      continue;
    }
    co_await runOne(i);
  }
}

Task<std::vector<catalog::SeedRecord>> SyncRun::run() {
  const auto copies = std::max<std::size_t>(1, opts_.repoConcurrency);
  const auto checks = opts_.checkConcurrency > 0 ? opts_.checkConcurrency : std::max(copies, kCheckConcurrency);
  const auto workers = std::min(checks, opts_.repos.size());
  {
    async::TaskGroup group(ctx_.source->executor());
    for (std::size_t i = 0; i < workers; ++i) group.spawn(worker());
    co_await group.wait();
  }
  const char* leftover = cancelled() ? catalog::kStatusCancelled : catalog::kStatusNotAttempted;
  std::vector<catalog::SeedRecord> out;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    if (!records_[i]) {
      if (hooks_.alreadyDone(i)) continue;
      record(i, unstartedRecord(ctx_.source->name(), ctx_.dest->name(), opts_.repos[i], leftover, opts_.trust.get()));
    }
    out.push_back(*records_[i]);
  }
  co_return out;
}

}  // namespace autonomy::copy
