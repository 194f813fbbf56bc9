#include "cli/DaemonJobs.hpp"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/ConsoleProgress.hpp"
#include "cli/ExitCodes.hpp"

namespace autonomy::cli {

namespace {

constexpr int kMaxReconnects = 30;

bool isFinishedRepoState(const std::string& s) { return s != "pending" && s != "running" && !s.empty(); }

std::string textOf(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::uint64_t numberOf(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}

// A repo the job already finished before we were listening: what the job's JSON tells of it.
catalog::SeedRecord recordFromRepoJson(const nlohmann::json& repo, const std::string& toRegistry) {
  catalog::SeedRecord r;
  r.repo = textOf(repo, "repo");
  r.tag = textOf(repo, "tag");
  r.status = textOf(repo, "state");
  auto ref = textOf(repo, "ref");
  if (ref.empty()) ref = r.repo + (r.tag.empty() ? "" : ":" + r.tag);
  r.destination = toRegistry + "/" + ref;
  r.digest = textOf(repo, "digest");
  r.bytesSent = numberOf(repo, "bytes");
  if (repo.contains("blobs") && repo["blobs"].is_object()) {
    r.blobsCopied = numberOf(repo["blobs"], "copied");
    r.blobsMounted = numberOf(repo["blobs"], "mounted");
    r.blobsPresent = numberOf(repo["blobs"], "present");
  }
  if (repo.contains("error") && repo["error"].is_object())
    r.error = makeError(ErrorCode::kInternal, textOf(repo["error"], "message"));
  return r;
}

// Turns the event stream into ConsoleProgress calls, once per repo whatever reconnects replay.
class EventPrinter {
 public:
  EventPrinter(std::size_t repos, bool quiet) : progress_(std::nullopt, repos, quiet) {}

  void onEvent(const SseEvent& e) {
    const auto data = nlohmann::json::parse(e.data, nullptr, false);
    if (!data.is_object()) return;
    if (e.type == "snapshot") {
      state_ = textOf(data, "state");
      toRegistry_ = textOf(data, "to_registry");
      if (!data.contains("repos") || !data["repos"].is_array()) return;
      for (const auto& repo : data["repos"]) {
        const auto name = textOf(repo, "repo");
        const auto repoState = textOf(repo, "state");
        if (repoState == "running") start(name);
        if (repoState == "running" || isFinishedRepoState(repoState)) bytes_[name] = numberOf(repo, "bytes");
        if (isFinishedRepoState(repoState)) finish(name, recordFromRepoJson(repo, toRegistry_));
      }
    } else if (e.type == "job-started") {
      state_ = "running";
    } else if (e.type == "repo-started") {
      const auto name = textOf(data, "repo");
      bytes_[name] = 0;
      start(name);
    } else if (e.type == "progress") {
      const auto name = textOf(data, "repo");
      const auto now = numberOf(data, "bytes");
      auto& seen = bytes_[name];
      if (now > seen) progress_.bytesSent(name, oci::Digest{}, now - seen);
      seen = std::max(seen, now);
    } else if (e.type == "repo-done") {
      const auto name = textOf(data, "repo");
      // Daemons of this version send the whole seed record; the bare fields are the fallback.
      Result<catalog::SeedRecord> record = recordFromRepoJson(data, toRegistry_);
      if (data.contains("record")) {
        auto full = catalog::seedRecordFromJson(data["record"], "repo-done event");
        if (full) record = std::move(full);
      }
      finish(name, *record);
    } else if (e.type == "job-done") {
      state_ = textOf(data, "state");
    }
  }

  const std::string& state() const { return state_; }

 private:
  void start(const std::string& repo) {
    if (started_.insert(repo).second) progress_.repoStarted(repo);
  }
  void finish(const std::string& repo, const catalog::SeedRecord& record) {
    if (!printed_.insert(repo).second) return;
    start(repo);  // repos that never ran (not-attempted, cancelled) still count as done
    progress_.repoFinished(record);
  }

  ConsoleProgress progress_;
  std::string state_;
  std::string toRegistry_;
  std::set<std::string> started_;
  std::set<std::string> printed_;
  std::map<std::string, std::uint64_t> bytes_;
};

}  // namespace

Result<FollowOutcome> followJob(DaemonClient& client, const std::string& jobId, std::size_t repoCount, bool quiet,
                                OnInterrupt onInterrupt) {
  EventPrinter printer(repoCount, quiet);
  FollowOutcome outcome;
  int reconnects = 0;
  while (true) {
    auto end = client.follow(jobId, [&](const SseEvent& e) { printer.onEvent(e); });
    outcome.state = printer.state();
    if (end && *end == FollowEnd::kJobDone) return outcome;
    if (end && *end == FollowEnd::kInterrupted) {
      outcome.interrupted = true;
      if (onInterrupt == OnInterrupt::kStopWatching) {
        std::fprintf(stderr, "\nstopped watching; job %s carries on at the daemon\n", jobId.c_str());
        return outcome;
      }
      std::fprintf(stderr,
                   "\ninterrupt: cancelling job %s at the daemon; nothing incomplete will be tagged "
                   "(press again to exit at once)\n",
                   jobId.c_str());
      auto cancelled = client.call("POST", "/v1/jobs/" + jobId + "/cancel");
      if (!cancelled) return cancelled.error();
      if (cancelled->status >= 400 && cancelled->status != 409) return cancelled->error("cancel job " + jobId);
      continue;  // follow on until the daemon says the job has stopped
    }
    if (!end && end.error().code != ErrorCode::kNetwork) return end.error();
    if (++reconnects > kMaxReconnects)
      return makeError(ErrorCode::kNetwork, "lost the event stream of job " + jobId + " (" +
                                                (end ? std::string("stream ended") : end.error().message) +
                                                "); the job carries on at the daemon: `autonomy registry jobs "
                                                "watch " +
                                                jobId + "` follows it again");
    if (reconnects == 1 || reconnects % 10 == 0)
      std::fprintf(stderr, "lost the daemon's event stream (%s); reconnecting\n",
                   end ? "stream ended" : end.error().message.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * std::min(reconnects, 10)));
  }
}

Result<catalog::Catalog> fetchCatalogInto(DaemonClient& client, const std::string& jobId,
                                          const std::filesystem::path& out) {
  auto reply = client.call("GET", "/v1/jobs/" + jobId + "/catalog");
  if (!reply) return reply.error();
  if (reply->status != 200) return reply->error("catalog of job " + jobId);
  auto cat = catalog::catalogFromJson(reply->json(), client.url() + "/v1/jobs/" + jobId + "/catalog");
  if (!cat) return cat.error();
  const auto layout = catalog::RecordLayout::of(cat->repos);
  for (const auto& r : cat->repos)
    if (auto st = catalog::writeSeedRecord(out, r, layout); !st) return st.error();
  if (auto st = catalog::writeCatalog(out, *cat); !st) return st.error();
  return cat;
}

int exitForJobState(const std::string& state) {
  if (state == "succeeded") return kExitOk;
  if (state == "cancelled") return kExitInterrupted;
  return kExitFailed;
}

int exitForError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kUsage:
    case ErrorCode::kAuth:
    case ErrorCode::kConfig:
      return kExitUsage;
    default:
      return kExitFailed;
  }
}

}  // namespace autonomy::cli
