#pragma once
// Many seeds under one roof: repos in parallel up to a limit, stop-on-first-failure unless
// keep-going, every repo accounted for (not-attempted / cancelled included).
#include <functional>
#include <vector>

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
  std::size_t repoConcurrency = 4;   // repos copying at once
  std::size_t checkConcurrency = 0;  // repos being checked at once; 0 = max(16, repoConcurrency) with
                                     // keepGoing, else repoConcurrency (fail-fast in order)
  // Repos already finished in an earlier attempt of the same job (the daemon's resume): skipped.
  std::function<bool(const RepoPlan&)> alreadyDone;
  // Called as each repo finishes (and for each repo never started), in completion order.
  std::function<void(const catalog::SeedRecord&)> onRecord;
};

// Records in the order of opts.repos.
registry::Task<std::vector<catalog::SeedRecord>> runRepos(CopyContext* ctx, RunOptions opts);

// A record for a repo that was never started.
catalog::SeedRecord unstartedRecord(const CopyContext& ctx, const RepoPlan& plan, const char* status);

}  // namespace autonomy::copy
