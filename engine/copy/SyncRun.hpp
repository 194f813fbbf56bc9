#pragma once
// The multi-repo run, once for both front ends: repos checked wide, copied narrow, in the order
// given when fail-fast (a failure stops the run unless keep-going), cancel, every repo accounted
// for (`not attempted` and `cancelled` included). What a front end adds (seed.json files, the
// daemon's store, events, destination locks, resume) comes in through RunHooks.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/copy/CopyTurns.hpp"
#include "engine/copy/SeedRunner.hpp"

namespace autonomy::copy {

struct RepoPlan {
  oci::RepoRef source;
  oci::RepoRef dest;
};

struct RunOptions {
  std::vector<RepoPlan> repos;
  std::shared_ptr<const verify::TrustPolicy> trust;  // null only with an explicit --skip-verify
  bool copyPolicy = false;
  bool keepGoing = false;
  std::size_t repoConcurrency = 4;   // repos copying at once (unless the run is given shared slots)
  std::size_t checkConcurrency = 0;  // repos being checked at once; 0 = max(16, repoConcurrency)
};

// The seed of one repo; the daemon's scheduler tests substitute their own.
using SeedFunction = std::function<registry::Task<catalog::SeedRecord>(CopyContext*, SeedRequest, CopyAdmission&)>;

// Held by the run while one repo is checked and copied (the daemon: the destination repo's lock).
class RepoHold {
 public:
  virtual ~RepoHold() = default;
};

class RunHooks {
 public:
  virtual ~RunHooks() = default;
  // Finished in an earlier attempt of the same job (the daemon's resume): neither run nor recorded.
  virtual bool alreadyDone(std::size_t /*index*/) const { return false; }
  // Before repo `index` is started; null when `cancel` fired while waiting.
  virtual registry::Task<std::unique_ptr<RepoHold>> hold(std::size_t index, CancelTokenPtr cancel);
  virtual void started(std::size_t /*index*/) {}
  // Exactly once for every repo not already done and every peer (`peer`: its place in the
  // run's peers), in completion order; those never started come last (`cancelled` after a
  // cancel, else `not attempted`).
  virtual void recorded(std::size_t /*index*/, std::size_t /*peer*/, const catalog::SeedRecord& /*record*/) {}
};

class SyncRun final : public CopyAdmission {
 public:
  // `copySlots`: a gate shared with other runs (the daemon's concurrency.repos); null gives the
  // run its own of opts.repoConcurrency places. `seed` empty: the engine's runSeed.
  SyncRun(CopyContext& ctx, RunOptions opts, RunHooks& hooks, std::shared_ptr<async::AsyncGate> copySlots = nullptr,
          SeedFunction seed = {});
  // Fan-out: every repo to each of `peers` (their contexts hold the peer's endpoint and ledger;
  // `shared` the source and what the run shares), the source read once for all of them.
  SyncRun(CopyContext& shared, std::vector<CopyContext*> peers, RunOptions opts, RunHooks& hooks);
  SyncRun(const SyncRun&) = delete;
  SyncRun& operator=(const SyncRun&) = delete;

  // Once. Records in the order of opts.repos (each repo's peers in the order given), repos
  // already done left out.
  registry::Task<std::vector<catalog::SeedRecord>> run();
  // A repo failed and keep-going is off.
  bool stopped() const { return stopped_; }

  registry::Task<Ticket> admit(std::size_t order, CancelTokenPtr cancel) override;

 private:
  registry::Task<void> worker();
  registry::Task<void> runOne(std::size_t index);
  void record(std::size_t index, std::size_t peer, catalog::SeedRecord r);
  bool cancelled() const { return ctx_.cancel && ctx_.cancel->cancelled(); }

  CopyContext& ctx_;
  std::vector<CopyContext*> peers_;
  const RunOptions opts_;
  RunHooks& hooks_;
  std::shared_ptr<async::AsyncGate> copySlots_;
  SeedFunction seed_;
  std::optional<CopyTurns> turns_;  // fail-fast runs only: copies start in the order given
  std::map<std::string, std::unique_ptr<async::AsyncGate>> sameRepo_;  // repos named more than once
  std::vector<std::vector<catalog::SeedRecord>> records_;              // per repo, one per peer once recorded
  std::size_t next_ = 0;
  bool stopped_ = false;
};

// The record of a repo that was never started. With a key it says what would have checked it:
// such a repo is not "verification skipped".
catalog::SeedRecord unstartedRecord(const std::string& sourceHost, const std::string& destHost, const RepoPlan& plan,
                                    const char* status, const verify::TrustPolicy* trust);

}  // namespace autonomy::copy
