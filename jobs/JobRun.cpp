#include "jobs/JobRun.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "engine/catalog/Catalog.hpp"
#include "engine/copy/SelectTags.hpp"
#include "engine/endpoint/LayoutEndpoint.hpp"
#include "engine/endpoint/RegistryEndpoint.hpp"
#include "jobs/TimeText.hpp"

namespace autonomy::jobs {

namespace {
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

std::string now() { return formatRfc3339(std::chrono::system_clock::now()); }

nlohmann::json errorJson(const std::optional<Error>& e) {
  if (!e) return nullptr;
  return {{"code", std::string(errorCodeName(e->code))}, {"message", e->message}};
}
}  // namespace

JobRun::JobRun(JobRunEnv env, JobRecord record) : env_(std::move(env)), record_(std::move(record)) {
  for (const auto& task : record_.repos) layout_.add(task.ref.repo);
}

JobRun::~JobRun() = default;

void JobRun::cancel() {
  userCancelled_ = true;
  cancel_->cancel();
}

void JobRun::interrupt() {
  interrupted_ = true;
  cancel_->cancel();
}

Status JobRun::prepare() {
  const auto& spec = record_.spec;
  const auto& settings = *env_.settings;
  if (!spec.keyName.empty()) {
    const auto key = settings.key(spec.keyName);
    if (!key)
      return makeError(ErrorCode::kConfig, "key: no key named \"" + spec.keyName +
                                               "\" in the daemon's config (was it removed by a reload?)");
    trust_ = settings.trustFor(*key);
  } else if (!spec.pubKeyPem.empty()) {
    auto key = verify::PublicKey::fromPem(spec.pubKeyPem, "pub_key_pem");
    if (!key) return key.error();
    trust_ = settings.trustFor(*key);
  } else if (!spec.skipVerify) {
    return makeError(ErrorCode::kUsage, "refusing to copy unverified images: the job names no key");
  }
  registry::HelperAnswers helperAnswers;  // a credential helper is asked once per host and job
  auto endpointFor = [&](endpoint::EndpointKind kind, const std::string& where,
                         bool source) -> Result<std::unique_ptr<endpoint::Endpoint>> {
    if (endpoint::isLocalKind(kind)) {
      auto local = endpoint::LayoutEndpoint::forEnd(env_.pool->executor(), kind, where, source);
      if (!local)
        return fieldError(std::string(source ? "from_" : "to_") + std::string(endpoint::endpointKindName(kind)),
                          local.error().message, local.error().code);
      return std::unique_ptr<endpoint::Endpoint>(std::move(*local));
    }
    auto rs = settings.registry(where, &helperAnswers);
    if (!rs) return rs.error();
    auto r = std::make_unique<endpoint::RegistryEndpoint>(*env_.pool, std::move(*rs));
    if (!source) r->setJournal(env_.store);  // upload sessions outlive a restart
    return std::unique_ptr<endpoint::Endpoint>(std::move(r));
  };
  auto from = endpointFor(spec.fromKind, spec.from, true);
  if (!from) return from.error();
  auto to = endpointFor(spec.toKind, spec.to, false);
  if (!to) return to.error();
  copy::TransferLimits limits;
  limits.blobsPerRepo = env_.blobsPerRepo;
  copy_ = std::make_unique<copy::CopySession>(std::move(*from), std::move(*to), limits, cancel_);
  auto& ctx = copy_->context();
  ctx.progress = this;
  ctx.verdicts = env_.verdicts;
  if (const auto gate = env_.scheduleWindows.find(spec.schedule); gate != env_.scheduleWindows.end())
    ctx.window = gate->second;
  std::error_code ec;
  std::filesystem::create_directories(dir(), ec);
  if (ec) return makeError(ErrorCode::kIo, "job directory " + dir().string() + ": " + ec.message());
  return {};
}

boost::asio::awaitable<void> JobRun::run() {
  if (auto st = prepare(); !st) {
    spdlog::error("job {}: cannot start: {}", record_.id, st.error().message);
    finishWithoutRunning(catalog::kStatusFailed, st.error());
    co_return;
  }
  if (record_.startedAt.empty()) record_.startedAt = now();
  record_.state = std::string(kJobRunning);
  if (auto st = env_.store->markStarted(record_.id, record_.startedAt); !st)
    spdlog::error("job {}: {}", record_.id, st.error().message);
  if (auto st = co_await expandSelections(); !st) {
    if (interrupted_) {
      requeue();  // not expanded yet: the next start selects again
      co_return;
    }
    spdlog::error("job {}: {}", record_.id, st.error().message);
    if (userCancelled_)
      finishWithoutRunning(catalog::kStatusCancelled, std::nullopt);
    else
      finishWithoutRunning(catalog::kStatusFailed, st.error());
    co_return;
  }
  std::size_t pending = 0;
  bool stoppedBefore = false;  // an earlier attempt failed a repo and keep-going is off
  copy::RunOptions opts;
  for (const auto& t : record_.repos) {
    if (!isRepoDone(t.state)) ++pending;
    if (t.state == catalog::kStatusFailed && !record_.spec.keepGoing) stoppedBefore = true;
    opts.repos.push_back({t.ref, t.ref});
  }
  spdlog::info("job {}: {} -> {}: {} repos ({} to do){}", record_.id,
               endpoint::describeEnd(record_.spec.fromKind, record_.spec.from),
               endpoint::describeEnd(record_.spec.toKind, record_.spec.to), record_.repos.size(), pending,
               record_.spec.skipVerify ? "; WARNING: signatures NOT verified" : "");
  env_.events->publish(record_.id, kEventJobStarted, {{"job", record_.id}, {"state", record_.state}});
  if (!stoppedBefore && pending > 0) {
    opts.trust = trust_;
    opts.copyPolicy = record_.spec.copyPolicy;
    opts.keepGoing = record_.spec.keepGoing;
    opts.repoConcurrency = std::max<std::size_t>(1, env_.maxRepoWorkers);
    copy::SyncRun syncRun(copy_->context(), std::move(opts), *this, env_.repoSlots, env_.seed);
    try {
      co_await syncRun.run();
    } catch (const std::exception& e) {
      spdlog::error("job {}: run failed: {}", record_.id, e.what());
    }
  }
  if (interrupted_) {
    requeue();
    co_return;
  }
  if (!userCancelled_) {
    // What the destination writes last (an archive's tar); if that fails, no repo is in it.
    if (auto st = co_await copy_->finish(); !st) {
      spdlog::error("job {}: {}", record_.id, st.error().message);
      failFinishedRepos(st.error());
    }
  }
  finish();
}

registry::Task<Status> JobRun::expandSelections() {
  if (record_.spec.selections.empty() || record_.spec.selectionsExpanded) co_return Status{};
  std::set<std::string> named;
  for (const auto& t : record_.repos) named.insert(t.ref.str());
  std::vector<oci::RepoRef> chosen;
  for (const auto& sel : record_.spec.selections) {
    auto refs = co_await copy::selectTags(*copy_->context().source, sel, cancel_);
    if (!refs) co_return refs.error();
    if (refs->empty())
      spdlog::warn("job {}: no tag of {} at {} matches {}", record_.id, sel.repo, copy_->context().source->name(),
                   sel.tags.describe());
    else
      spdlog::info("job {}: {} ({}) selects {} tags", record_.id, sel.repo, sel.tags.describe(), refs->size());
    for (auto& ref : *refs)
      if (named.insert(ref.str()).second) chosen.push_back(std::move(ref));  // named twice: copied once
  }
  if (record_.repos.size() + chosen.size() > kMaxReposPerJob)
    co_return makeError(ErrorCode::kUsage, "the selections add " + std::to_string(chosen.size()) +
                                               " repos; a job copies at most " + std::to_string(kMaxReposPerJob) +
                                               " (narrow them, or add keep_latest)");
  if (auto st = env_.store->addSelectedRepos(record_, chosen); !st) co_return st;
  layout_ = {};
  for (const auto& task : record_.repos) layout_.add(task.ref.repo);
  co_return Status{};
}

void JobRun::failFinishedRepos(const Error& error) {
  for (auto& task : record_.repos) {
    if (!isRepoOk(task.state)) continue;
    task.state = catalog::kStatusFailed;
    task.error = error;
    if (auto st = catalog::writeSeedRecord(dir(), unstartedRecord(task, catalog::kStatusFailed, error), layout_); !st)
      spdlog::error("job {}: {}", record_.id, st.error().message);
    persist(task);
  }
}

bool JobRun::alreadyDone(std::size_t index) const { return isRepoDone(record_.repos[index].state); }

namespace {
struct LockHold final : copy::RepoHold {
  explicit LockHold(RepoLocks::Lock l) : lock(std::move(l)) {}
  RepoLocks::Lock lock;
};
}  // namespace

registry::Task<std::unique_ptr<copy::RepoHold>> JobRun::hold(std::size_t index, CancelTokenPtr cancel) {
  auto lock = co_await env_.locks->lock(RepoLocks::keyFor(record_.spec.to, record_.repos[index].ref.repo), cancel);
  if (!lock) co_return nullptr;
  co_return std::make_unique<LockHold>(std::move(*lock));
}

void JobRun::started(std::size_t index) {
  auto& task = record_.repos[index];
  task.state = std::string(kRepoRunning);
  task.startedAt = now();
  task.finishedAt.clear();
  task.bytes = 0;
  task.error.reset();
  persist(task);
  env_.events->publish(record_.id, kEventRepoStarted, repoEventData(task));
}

void JobRun::recorded(std::size_t index, std::size_t /*peer*/, const catalog::SeedRecord& r) {
  auto& task = record_.repos[index];
  if (interrupted_ && r.status == catalog::kStatusCancelled) {
    // Shutdown, not a verdict: the repo is redone when the job resumes.
    task.state = std::string(kRepoPending);
    task.startedAt.clear();
    task.bytes = 0;
    persist(task);
    return;
  }
  recordResult(index, r);
}

void JobRun::recordResult(std::size_t index, const catalog::SeedRecord& r) {
  auto& task = record_.repos[index];
  task.state = r.status;
  task.digest = r.digest;
  task.bytes = r.bytesSent;
  task.blobsCopied = r.blobsCopied;
  task.blobsMounted = r.blobsMounted;
  task.blobsPresent = r.blobsPresent;
  task.error = r.error;
  task.finishedAt = r.finishedAt.empty() ? now() : r.finishedAt;
  // seed.json first: a crash between the two redoes the repo (a no-op delta), never loses it.
  if (auto st = catalog::writeSeedRecord(dir(), r, layout_); !st) {
    spdlog::error("job {}: {}", record_.id, st.error().message);
    if (!task.error) task.error = st.error();
  }
  persist(task);
  auto& m = *env_.metrics;
  ++m.reposByOutcome[r.status];
  m.blobsCopied += r.blobsCopied;
  m.blobsMounted += r.blobsMounted;
  m.blobsPresent += r.blobsPresent;
  if (r.error && r.error->code == ErrorCode::kVerification) ++m.verificationFailures;
  if (r.error && r.status == catalog::kStatusFailed) ++m.failuresByClass[std::string(errorCodeName(r.error->code))];
  if (r.ok())
    spdlog::info("job {}: {} {} ({} bytes)", record_.id, r.destination, r.status, r.bytesSent);
  else
    spdlog::warn("job {}: {} {}: {}", record_.id, r.destination, r.status, r.error ? r.error->message : "");
  // The whole seed record rides along, so a follower (`sync --via`) prints what a local run prints.
  auto data = repoEventData(task);
  data["record"] = catalog::toJson(r);
  env_.events->publish(record_.id, kEventRepoDone, std::move(data));
}

void JobRun::persist(const RepoTask& task) {
  if (auto st = env_.store->updateRepo(record_.id, task); !st)
    spdlog::error("job {}: {}", record_.id, st.error().message);
}

catalog::SeedRecord JobRun::unstartedRecord(const RepoTask& task, const char* status,
                                            const std::optional<Error>& error) const {
  auto r = copy::unstartedRecord(endpoint::describeEnd(record_.spec.fromKind, record_.spec.from),
                                 endpoint::describeEnd(record_.spec.toKind, record_.spec.to), {task.ref, task.ref},
                                 status, trust_.get());
  if (!task.digest.empty()) r.digest = task.digest;
  r.error = error;
  r.bytesSent = task.bytes;
  r.startedAt = task.startedAt;
  r.finishedAt = task.finishedAt;
  return r;
}

void JobRun::finishWithoutRunning(const char* status, const std::optional<Error>& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir(), ec);
  for (auto& task : record_.repos) {
    if (isRepoDone(task.state)) continue;
    task.state = status;
    task.error = error;
    task.finishedAt = now();
    if (auto st = catalog::writeSeedRecord(dir(), unstartedRecord(task, status, error), layout_); !st)
      spdlog::error("job {}: {}", record_.id, st.error().message);
    persist(task);
  }
  if (std::string_view(status) == catalog::kStatusCancelled) userCancelled_ = true;
  finish();
}

void JobRun::finish() {
  const char* leftover = userCancelled_ ? catalog::kStatusCancelled : catalog::kStatusNotAttempted;
  bool anyCancelled = false;
  for (auto& task : record_.repos) {
    if (task.state == kRepoPending || task.state == kRepoRunning) {
      task.state = leftover;
      task.finishedAt = now();
      if (auto st = catalog::writeSeedRecord(dir(), unstartedRecord(task, leftover, std::nullopt), layout_); !st)
        spdlog::error("job {}: {}", record_.id, st.error().message);
      persist(task);
      ++env_.metrics->reposByOutcome[leftover];
    }
    if (task.state == catalog::kStatusCancelled) anyCancelled = true;
  }
  catalog::Catalog cat;
  cat.from = endpoint::describeEnd(record_.spec.fromKind, record_.spec.from);
  cat.to = endpoint::describeEnd(record_.spec.toKind, record_.spec.to);
  cat.startedAt = record_.startedAt.empty() ? record_.createdAt : record_.startedAt;
  for (const auto& task : record_.repos) {
    auto r = catalog::readSeedRecord(dir() / layout_.relativePath(task.ref.repo, task.ref.reference()));
    cat.repos.push_back(r ? std::move(*r) : unstartedRecord(task, task.state.c_str(), task.error));
  }
  cat.finishedAt = now();
  if (auto st = catalog::writeCatalog(dir(), cat); !st) spdlog::error("job {}: {}", record_.id, st.error().message);
  const std::string result = cat.result();
  if (userCancelled_ && anyCancelled)
    record_.state = std::string(kJobCancelled);
  else if (result == catalog::kResultOk)
    record_.state = std::string(kJobSucceeded);
  else if (result == catalog::kResultPartial)
    record_.state = std::string(kJobPartial);
  else
    record_.state = std::string(kJobFailed);
  record_.finishedAt = cat.finishedAt;
  if (auto st = env_.store->markFinished(record_.id, record_.state, record_.finishedAt); !st)
    spdlog::error("job {}: {}", record_.id, st.error().message);
  ++env_.metrics->jobsFinished[record_.state];
  spdlog::info("job {}: {} ({} repos)", record_.id, record_.state, record_.repos.size());
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& t : record_.repos) counts[t.state] = counts.value(t.state, 0) + 1;
  env_.events->publish(record_.id, kEventJobDone,
                       {{"job", record_.id}, {"state", record_.state}, {"result", result}, {"counts", counts}});
  env_.events->closeJob(record_.id);
}

void JobRun::requeue() {
  for (auto& task : record_.repos) {
    if (task.state != kRepoRunning) continue;
    task.state = std::string(kRepoPending);
    task.startedAt.clear();
    persist(task);
  }
  record_.state = std::string(kJobQueued);
  if (auto st = env_.store->setJobState(record_.id, kJobQueued); !st)
    spdlog::error("job {}: {}", record_.id, st.error().message);
  spdlog::info("job {}: interrupted by shutdown; it resumes at the next start", record_.id);
}

RepoTask* JobRun::taskForRepo(const std::string& repo) {
  for (auto& t : record_.repos)
    if (t.ref.repo == repo && t.state == kRepoRunning) return &t;
  return nullptr;
}

nlohmann::json JobRun::repoEventData(const RepoTask& task) const {
  return {{"job", record_.id},   {"index", task.index},   {"repo", task.ref.repo}, {"tag", task.ref.tag},
          {"state", task.state}, {"digest", task.digest}, {"bytes", task.bytes},   {"error", errorJson(task.error)}};
}

void JobRun::blobStarted(const std::string& repo, const oci::Digest&, std::uint64_t) {
  if (auto* t = taskForRepo(repo)) ++blobsStarted_[t->index];
}

void JobRun::bytesSent(const std::string& repo, const oci::Digest&, std::uint64_t delta) {
  env_.metrics->bytesSent += delta;
  env_.metrics->bytesByRegistry[endpoint::describeEnd(record_.spec.toKind, record_.spec.to)] += delta;
  auto* t = taskForRepo(repo);
  if (!t) return;
  t->bytes += delta;
  const auto at = std::chrono::steady_clock::now();
  auto& last = lastProgress_[t->index];
  if (at - last < kProgressInterval) return;
  last = at;
  env_.events->publish(record_.id, kEventProgress,
                       {{"job", record_.id},
                        {"index", t->index},
                        {"repo", t->ref.repo},
                        {"bytes", t->bytes},
                        {"blobs_started", blobsStarted_[t->index]}});
}

}  // namespace autonomy::jobs
