#pragma once
// What `sync --via` and `registry jobs` do with a job on the daemon: follow its events with the
// same per-repo lines as a local run, and bring its catalog and seed records into --out.
#include <filesystem>
#include <string>

#include "cli/DaemonClient.hpp"
#include "engine/catalog/Catalog.hpp"

namespace autonomy::cli {

struct FollowOutcome {
  std::string state;         // the job's final state (or its last known one when detached)
  bool interrupted = false;  // SIGINT/SIGTERM reached us while following
};

enum class OnInterrupt {
  kCancelJob,     // `sync --via`: Ctrl-C stops the job, as it would stop a local run
  kStopWatching,  // `jobs watch`: Ctrl-C leaves the job running
};

// Follows the job to its end, reconnecting when the stream drops (a daemon restart, a flaky
// link); prints a line per finished repo and, on a terminal, a live progress line.
Result<FollowOutcome> followJob(DaemonClient& client, const std::string& jobId, std::size_t repoCount, bool quiet,
                                OnInterrupt onInterrupt);

// GET /v1/jobs/{id}/catalog into <out>/catalog.json and <out>/<repo>/seed.json (the layout of a
// local run's --out).
Result<catalog::Catalog> fetchCatalogInto(DaemonClient& client, const std::string& jobId,
                                          const std::filesystem::path& out);

// Exit status for a finished job: 0 succeeded, 1 partial/failed, 130 cancelled.
int exitForJobState(const std::string& state);
// Exit status for an error talking to the daemon: 2 usage/auth/config, 1 otherwise.
int exitForError(const Error& e);

}  // namespace autonomy::cli
