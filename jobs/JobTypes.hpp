#pragma once
// The job model shared by the store, the scheduler and the API: what was asked (JobSpec), and
// what became of it, per repo (RepoTask) and as a whole (JobRecord).
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/Error.hpp"
#include "engine/endpoint/EndpointKind.hpp"
#include "engine/oci/Reference.hpp"
#include "engine/oci/TagSelection.hpp"

namespace autonomy::jobs {

// Job states (SPEC §5).
inline constexpr std::string_view kJobQueued = "queued";
inline constexpr std::string_view kJobRunning = "running";
inline constexpr std::string_view kJobSucceeded = "succeeded";
inline constexpr std::string_view kJobPartial = "partial";
inline constexpr std::string_view kJobFailed = "failed";
inline constexpr std::string_view kJobCancelled = "cancelled";

// Repo states: pending and running, then the seed record's status.
inline constexpr std::string_view kRepoPending = "pending";
inline constexpr std::string_view kRepoRunning = "running";

bool isJobState(std::string_view state);
bool isFinishedJobState(std::string_view state);
// copied, up-to-date and failed repos are not redone when a job resumes after a restart.
bool isRepoDone(std::string_view state);
bool isRepoOk(std::string_view state);

// Repos one job copies at most, named and selected together.
inline constexpr std::size_t kMaxReposPerJob = 1000;

// What a caller (API or schedule) asked for. Exactly one of keyName, pubKeyPem, skipVerify.
struct JobSpec {
  // Each end is a registry host[:port], or (at most one end) the absolute path of a layout
  // directory or an archive file under one of the config's media_dirs.
  std::string from;
  std::string to;
  endpoint::EndpointKind fromKind = endpoint::EndpointKind::kRegistry;
  endpoint::EndpointKind toKind = endpoint::EndpointKind::kRegistry;
  std::vector<oci::RepoRef> repos;
  // Repos whose tags are chosen from the source's tags/list when the job first runs; what they
  // select is then added to the job's repos (after the named ones) and selectionsExpanded set.
  std::vector<oci::RepoSelection> selections;
  bool selectionsExpanded = false;
  // Read back from the store: how many of the job's repos were named (the rest were selected).
  std::size_t namedRepos = std::numeric_limits<std::size_t>::max();
  std::string keyName;    // a key named in the config
  std::string pubKeyPem;  // inline PEM (stored, never returned by the API)
  bool skipVerify = false;
  bool copyPolicy = false;
  bool keepGoing = false;
  std::string schedule;  // set when a schedule started the job
  std::optional<std::string> idempotencyKey;

  // Same request (idempotency replays): everything but the key itself.
  bool sameRequest(const JobSpec& other) const;
};

// The options column: everything but from/to/repos/idempotency key (the ends' kinds and the
// selections included).
nlohmann::json optionsToJson(const JobSpec& spec);
void optionsFromJson(const nlohmann::json& j, JobSpec& spec);

struct RepoTask {
  std::size_t index = 0;
  oci::RepoRef ref;
  std::string state{kRepoPending};
  std::string digest;
  std::uint64_t bytes = 0;
  std::uint64_t blobsCopied = 0;
  std::uint64_t blobsMounted = 0;
  std::uint64_t blobsPresent = 0;
  std::optional<Error> error;
  std::string startedAt;
  std::string finishedAt;
};

struct JobRecord {
  std::string id;
  std::int64_t seq = 0;  // creation order; pagination cursor
  std::string state{kJobQueued};
  std::string createdAt;
  std::string startedAt;
  std::string finishedAt;
  JobSpec spec;
  std::vector<RepoTask> repos;
};

// Newest first; `after` is the id of the last job of the previous page.
struct JobFilter {
  std::optional<std::string> state;
  std::size_t limit = 50;
  std::optional<std::string> after;
  bool withRepos = true;  // false: job rows only (repos and spec.repos left empty), for listings
};

// What submit() did: a new job, the job an Idempotency-Key already named (same request), or
// nothing because the key was used for a different request.
enum class SubmitStatus { kCreated, kReplayed, kKeyConflict };

struct Submitted {
  JobRecord job;
  SubmitStatus status = SubmitStatus::kCreated;
};

enum class CancelStatus { kCancelled, kCancelling, kAlreadyFinished };

struct Cancelled {
  JobRecord job;
  CancelStatus status = CancelStatus::kCancelled;
};

// What POST /v1/schedules/{name}/trigger did.
enum class TriggerOutcome {
  kStarted,       // a job was queued now
  kQueued,        // the schedule's job is queued and not started: it serves this trigger too
  kAfterRunning,  // its job is running (it may have missed the change): one more run follows it
  kDisabled,      // enabled: false; nothing runs
};
std::string_view triggerOutcomeName(TriggerOutcome outcome);

struct Triggered {
  TriggerOutcome outcome = TriggerOutcome::kStarted;
  std::optional<JobRecord> job;  // the job started, queued or running; none when disabled
};

// 16 random lowercase hex digits; also a safe directory name.
std::string newJobId();
bool isValidJobId(std::string_view id);

}  // namespace autonomy::jobs
