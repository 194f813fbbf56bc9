#include "jobs/JobScheduler.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "engine/catalog/SeedRecord.hpp"
#include "jobs/TimeText.hpp"

namespace autonomy::jobs {

JobScheduler::JobScheduler(const boost::asio::any_io_executor& executor, JobStore& store, EventHub& events,
                           SchedulerOptions options, std::shared_ptr<const EngineSettings> settings)
    : executor_(executor),
      store_(store),
      events_(events),
      options_(std::move(options)),
      settings_(std::move(settings)),
      pool_(std::make_unique<registry::ConnectionPool>(executor)),
      repoSlots_(std::make_shared<async::AsyncGate>(executor, std::max<std::size_t>(1, options_.repoSlots))),
      locks_(executor),
      idle_(executor),
      windowTimer_(executor) {
  idle_.expires_at(boost::asio::steady_timer::time_point::max());
  applySettings();
}

JobScheduler::~JobScheduler() { *alive_ = false; }

void JobScheduler::setSettings(std::shared_ptr<const EngineSettings> settings) {
  settings_ = std::move(settings);
  applySettings();
  pump();  // a queued job whose schedule's window a reload opened starts now
}

void JobScheduler::applySettings() {
  // Connection limits apply to origins not yet connected to; caps and windows reach the
  // transfers already running, through the limiters and gates they hold.
  settings_->applyLimits(*pool_);
  std::set<std::string> configured;
  for (const auto& s : settings_->config().schedules) {
    auto& gate = scheduleWindows_[s.name];
    if (!gate) gate = std::make_shared<async::WindowGate>("schedule " + s.name);
    gate->set(s.windows);
    configured.insert(s.name);
  }
  for (const auto& [name, gate] : scheduleWindows_)  // a removed schedule's jobs hold back nothing
    if (!configured.count(name)) gate->set(TransferWindows{});
}

std::map<std::string, double> JobScheduler::schedulePausedSeconds() const {
  std::map<std::string, double> out;  // configured schedules only: a removed one's series ends
  for (const auto& s : settings_->config().schedules)
    if (const auto gate = scheduleWindows_.find(s.name); gate != scheduleWindows_.end())
      out[s.name] = gate->second->pausedTime().count();
  return out;
}

Status JobScheduler::start() {
  auto queued = store_.queuedIds();
  if (!queued) return queued.error();
  metrics_.jobsResumed = store_.recoveredJobs();
  if (store_.recoveredJobs() > 0)
    spdlog::info("{} job(s) were running when the daemon stopped; resuming them", store_.recoveredJobs());
  for (auto& id : *queued) queue_.push_back(std::move(id));
  if (auto st = pruneNow(); !st) spdlog::warn("pruning jobs: {}", st.error().message);
  pump();
  return {};
}

JobRunEnv JobScheduler::env() const {
  JobRunEnv e;
  e.store = &store_;
  e.events = &events_;
  e.pool = pool_.get();
  e.repoSlots = repoSlots_;
  e.locks = const_cast<RepoLocks*>(&locks_);
  e.metrics = const_cast<JobMetrics*>(&metrics_);
  e.settings = settings_;
  e.jobsDir = jobsDir();
  e.maxRepoWorkers = std::max<std::size_t>(1, options_.repoSlots);
  e.blobsPerRepo = std::max<std::size_t>(1, options_.blobsPerRepo);
  e.seed = options_.seed;
  e.verdicts = &verdicts_;
  e.scheduleWindows = scheduleWindows_;
  return e;
}

namespace {
// One end of a job: a registry host, or a layout or archive under one of the config's
// media_dirs with symlinks resolved, so an API caller reads and writes only where the operator
// allowed.
Status checkEnd(const config::DaemonConfig& config, endpoint::EndpointKind kind, const std::string& where,
                const std::string& side) {
  const bool source = side == "from";
  const auto field = side + "_" + std::string(endpoint::endpointKindName(kind));
  if (!endpoint::isLocalKind(kind)) {
    if (auto st = oci::validateRegistryHost(where); !st) return fieldError(field, st.error().message);
    return {};
  }
  if (config.mediaDirs.empty())
    return fieldError(field,
                      "the daemon's config allows no layouts or archives: list the directories jobs may use "
                      "under media_dirs: (e.g. [/media/usb]) and reload");
  std::error_code ec;
  const auto resolved = std::filesystem::weakly_canonical(where, ec);
  if (ec) return fieldError(field, "cannot resolve " + where + ": " + ec.message());
  for (const auto& dir : config.mediaDirs) {
    std::error_code dirEc;
    const auto root = std::filesystem::weakly_canonical(dir, dirEc);
    if (!config::pathIsUnder(resolved, dirEc ? dir : root)) continue;
    // Said now, at submit, rather than by a job that fails at once.
    if (source && !std::filesystem::exists(resolved, ec))
      return fieldError(field, where + " does not exist (is the medium mounted?)");
    if (!source && kind == endpoint::EndpointKind::kArchive && std::filesystem::exists(resolved, ec))
      return fieldError(field, where + " exists: an archive is written whole, never added to; name a new file");
    return {};
  }
  std::string allowed;
  for (const auto& dir : config.mediaDirs) allowed += (allowed.empty() ? "" : ", ") + dir.string();
  return fieldError(field, where + " is not under a directory the config allows for layouts and archives (" + allowed +
                               "); name a path inside one of them or add its directory to media_dirs:");
}
}  // namespace

Status JobScheduler::validate(const JobSpec& spec) const {
  const auto& config = settings_->config();
  if (auto st = checkEnd(config, spec.fromKind, spec.from, "from"); !st) return st;
  if (auto st = checkEnd(config, spec.toKind, spec.to, "to"); !st) return st;
  if (endpoint::isLocalKind(spec.fromKind) && endpoint::isLocalKind(spec.toKind))
    return fieldError("to_" + std::string(endpoint::endpointKindName(spec.toKind)),
                      "both ends are layouts or archives: one end of a job must be a registry");
  if (spec.repos.empty() && spec.selections.empty()) return fieldError("repos", "at least one repo is needed");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < spec.repos.size(); ++i) {
    if (!seen.insert(spec.repos[i].str()).second)
      return fieldError("repos[" + std::to_string(i) + "]", spec.repos[i].str() + " is named twice");
  }
  const int modes = (spec.keyName.empty() ? 0 : 1) + (spec.pubKeyPem.empty() ? 0 : 1) + (spec.skipVerify ? 1 : 0);
  if (modes != 1) return fieldError("key", "give exactly one of key, pub_key_pem or skip_verify");
  if (!spec.keyName.empty() && !settings_->hasKey(spec.keyName))
    return fieldError("key", "no key named \"" + spec.keyName + "\" in the daemon's config");
  if (!spec.pubKeyPem.empty()) {
    auto key = verify::PublicKey::fromPem(spec.pubKeyPem, "pub_key_pem");
    if (!key) return fieldError("pub_key_pem", key.error().message);
  }
  return {};
}

Result<Submitted> JobScheduler::submit(JobSpec spec) {
  if (shuttingDown_) return makeError(ErrorCode::kInternal, "the daemon is shutting down");
  if (auto st = validate(spec); !st) return st.error();
  if (spec.idempotencyKey) {
    auto existing = store_.findByIdempotencyKey(*spec.idempotencyKey);
    if (!existing) return existing.error();
    if (existing->has_value()) {
      auto job = std::move(**existing);
      const bool same = job.spec.sameRequest(spec);
      if (auto live = running_.find(job.id); live != running_.end()) job = live->second->record();
      return Submitted{std::move(job), same ? SubmitStatus::kReplayed : SubmitStatus::kKeyConflict};
    }
  }
  JobRecord record;
  record.createdAt = formatRfc3339(std::chrono::system_clock::now());
  record.spec = std::move(spec);
  Status inserted;
  for (int attempt = 0; attempt < 3; ++attempt) {
    record.id = newJobId();
    inserted = store_.insert(record);
    if (inserted) break;
  }
  if (!inserted) return inserted.error();
  spdlog::info("job {}: queued{}", record.id,
               record.spec.schedule.empty() ? "" : " by schedule " + record.spec.schedule);
  queue_.push_back(record.id);
  pump();
  // The run may already have started (or, failing at once, finished) inside pump().
  if (auto live = running_.find(record.id); live != running_.end()) {
    record = live->second->record();
  } else if (auto stored = store_.find(record.id); stored && stored->has_value()) {
    record = std::move(**stored);
  }
  return Submitted{std::move(record), SubmitStatus::kCreated};
}

Result<std::optional<JobRecord>> JobScheduler::find(const std::string& id) {
  if (auto live = running_.find(id); live != running_.end()) return std::optional<JobRecord>(live->second->record());
  return store_.find(id);
}

Result<std::vector<JobRecord>> JobScheduler::list(const JobFilter& filter) {
  auto jobs = store_.list(filter);
  if (!jobs) return jobs.error();
  for (auto& j : *jobs)
    if (auto live = running_.find(j.id); live != running_.end()) j = live->second->record();
  return jobs;
}

Result<Cancelled> JobScheduler::cancel(const std::string& id) {
  if (auto live = running_.find(id); live != running_.end()) {
    spdlog::info("job {}: cancel requested", id);
    live->second->cancel();
    return Cancelled{live->second->record(), CancelStatus::kCancelling};
  }
  auto found = store_.find(id);
  if (!found) return found.error();
  if (!found->has_value()) return makeError(ErrorCode::kNotFound, "no job " + id);
  auto record = std::move(**found);
  if (isFinishedJobState(record.state)) return Cancelled{std::move(record), CancelStatus::kAlreadyFinished};
  // Queued (never started, or waiting to resume): it ends here.
  std::erase(queue_, id);
  heldForWindow_.erase(id);
  JobRun run(env(), std::move(record));
  run.finishWithoutRunning(catalog::kStatusCancelled, std::nullopt);
  spdlog::info("job {}: cancelled while queued", id);
  reportFinished(run.record());
  return Cancelled{run.record(), CancelStatus::kCancelled};
}

void JobScheduler::pump() {
  const std::size_t slots = std::max<std::size_t>(1, options_.repoSlots);
  bool heldBack = false;
  // By index: starting a job can run it inline far enough to queue another (deque iterators
  // would not survive that). Jobs before `next` wait for their schedule's window.
  std::size_t next = 0;
  while (!shuttingDown_ && running_.size() < slots && next < queue_.size()) {
    const std::string id = queue_[next];
    auto found = store_.find(id);
    if (!found) {
      spdlog::error("job {}: {}", id, found.error().message);
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(next));
      continue;
    }
    if (!found->has_value() || (**found).state != kJobQueued) {
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(next));
      continue;
    }
    // A schedule's job starts inside its windows: waiting queued, it holds no slot that a job
    // without windows could use.
    if (const auto& schedule = (**found).spec.schedule; !windowOpenFor(schedule)) {
      if (heldForWindow_.insert(id).second)
        spdlog::info("job {}: waits queued until a transfer window of schedule {} opens", id, schedule);
      heldBack = true;
      ++next;
      continue;
    }
    heldForWindow_.erase(id);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(next));
    auto run = std::make_shared<JobRun>(env(), std::move(**found));
    running_.emplace(id, run);
    boost::asio::co_spawn(executor_, runJob(this, run), [id](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("job {}: {}", id, ex.what());
      }
    });
  }
  if (heldBack) lookAgainForWindows();
}

bool JobScheduler::windowOpenFor(const std::string& schedule) const {
  const auto gate = scheduleWindows_.find(schedule);
  return schedule.empty() || gate == scheduleWindows_.end() || gate->second->isOpen();
}

void JobScheduler::lookAgainForWindows() {
  if (windowTimerArmed_) return;
  windowTimerArmed_ = true;
  // Once a second, so that a window opening or a reload that drops windows is seen promptly.
  windowTimer_.expires_after(std::chrono::seconds(1));
  windowTimer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;  // the scheduler is going away
    windowTimerArmed_ = false;
    pump();
  });
}

boost::asio::awaitable<void> JobScheduler::runJob(JobScheduler* self, std::shared_ptr<JobRun> run) {
  try {
    co_await run->run();
  } catch (const std::exception& e) {
    spdlog::error("job {}: {}", run->id(), e.what());
  }
  self->reportFinished(run->record());
  self->jobEnded(run->id());
}

void JobScheduler::reportFinished(const JobRecord& record) const {
  if (options_.onFinished && isFinishedJobState(record.state)) options_.onFinished(record);
}

void JobScheduler::jobEnded(const std::string& id) {
  running_.erase(id);
  if (!shuttingDown_) {
    if (auto st = pruneNow(); !st) spdlog::warn("pruning jobs: {}", st.error().message);
  }
  // Posted, not called: a queue of jobs that each end at once must not recurse on the stack.
  boost::asio::post(executor_, [this] { pump(); });
  if (running_.empty()) idle_.cancel();
}

void JobScheduler::shutdown() {
  if (shuttingDown_) return;
  shuttingDown_ = true;
  queue_.clear();
  windowTimer_.cancel();
  repoSlots_->close();
  for (auto& [id, run] : running_) run->interrupt();
}

boost::asio::awaitable<bool> JobScheduler::waitIdle(std::chrono::steady_clock::time_point deadline) {
  while (!running_.empty() && std::chrono::steady_clock::now() < deadline) {
    idle_.expires_at(deadline);
    co_await idle_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  co_return running_.empty();
}

Status JobScheduler::pruneNow() {
  const auto cutoff = formatRfc3339(std::chrono::system_clock::now() - options_.keepDays);
  auto removed = store_.prune(options_.keepFinished, cutoff);
  if (!removed) return removed.error();
  for (const auto& id : *removed) {
    std::error_code ec;
    std::filesystem::remove_all(jobDir(id), ec);
    if (ec) spdlog::warn("job {}: removing {}: {}", id, jobDir(id).string(), ec.message());
  }
  if (!removed->empty()) spdlog::info("pruned {} finished job(s)", removed->size());
  return {};
}

}  // namespace autonomy::jobs
