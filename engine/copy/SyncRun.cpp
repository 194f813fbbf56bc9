#include "engine/copy/SyncRun.hpp"

#include <stdexcept>

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

SyncRun::SyncRun(CopyContext& shared, std::vector<CopyContext*> peers, RunOptions opts, RunHooks& hooks)
    : SyncRun(shared, std::move(opts), hooks) {
  if (peers.empty()) throw std::invalid_argument("SyncRun: a fan-out needs at least one peer");
  peers_ = std::move(peers);
}

SyncRun::SyncRun(CopyContext& ctx, RunOptions opts, RunHooks& hooks, std::shared_ptr<async::AsyncGate> copySlots,
                 SeedFunction seed)
    : ctx_(ctx),
      peers_{&ctx},
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

void SyncRun::record(std::size_t index, std::size_t peer, catalog::SeedRecord r) {
  if (r.status == catalog::kStatusNotAttempted && opts_.trust && r.verification.skipped)
    describeKey(r.verification, *opts_.trust);
  hooks_.recorded(index, peer, r);
  records_[index].push_back(std::move(r));
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
  std::vector<catalog::SeedRecord> records;
  if (seed_)
    records.push_back(co_await seed_(&ctx_, std::move(req), *this));
  else
    records = co_await runFanOutSeed(&ctx_, peers_, std::move(req), *this);
  bool failed = false;
  for (const auto& r : records) failed = failed || (!r.ok() && r.status != catalog::kStatusNotAttempted);
  // A failure stops the run in order: it counts once every earlier repo has had its turn.
  if (failed && turns_) co_await turns_->waitTurn(index, nullptr);
  if (turns_) turns_->pass(index);
  if (failed && !opts_.keepGoing) {
    stopped_ = true;
    if (turns_) turns_->openAll();  // repos waiting for their turn find the run stopped
  }
  for (std::size_t peer = 0; peer < records.size(); ++peer) record(index, peer, std::move(records[peer]));
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
    if (records_[i].empty()) {
      if (hooks_.alreadyDone(i)) continue;
      for (std::size_t peer = 0; peer < peers_.size(); ++peer)
        record(i, peer,
               unstartedRecord(ctx_.source->name(), peers_[peer]->dest->name(), opts_.repos[i], leftover,
                               opts_.trust.get()));
    }
    out.insert(out.end(), records_[i].begin(), records_[i].end());
  }
  co_return out;
}

}  // namespace autonomy::copy
