#include "daemon/Daemon.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdlib>
#include <string_view>

#include "config/ConfigLoader.hpp"
#include "daemon/Logging.hpp"
#include "engine/registry/TlsContext.hpp"
#include "jobs/JobEvent.hpp"

namespace autonomy::daemon {

namespace {
constexpr auto kHousekeepingPeriod = std::chrono::seconds(60);
constexpr int kPrunePeriods = 60;  // prune hourly

void logSpawnError(const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("{}", ex.what());
  }
}
}  // namespace

Result<StartupConfig> loadStartupConfig(const std::filesystem::path& configPath) {
  config::LoadOptions options;
  options.checkFiles = true;
  auto cfg = config::loadConfigFile(configPath, options);
  if (!cfg) return cfg.error();
  if (!cfg->api.tokenFile)
    return makeError(ErrorCode::kConfig, configPath.string() +
                                             ": api.token_file is required: every /v1 call must carry the bearer "
                                             "token it holds (create one with `openssl rand -hex 32`)");
  auto auth = api::BearerAuth::fromFile(*cfg->api.tokenFile);
  if (!auth) return auth.error();
  auto settings = jobs::EngineSettings::create(*cfg, cfg->stateDir / "certs.d");
  if (!settings) return settings.error().context(configPath.string());
  return StartupConfig{std::move(*cfg), std::move(*auth), std::move(*settings)};
}

Daemon::Daemon(std::filesystem::path configPath, StartupConfig startup)
    : configPath_(std::move(configPath)),
      config_(std::move(startup.config)),
      auth_(std::move(startup.auth)),
      settings_(std::move(startup.settings)) {}

Daemon::~Daemon() = default;

Status Daemon::start() {
  for (const auto& w : config_.warnings) spdlog::warn("{}", w);
  auto store = jobs::JobStore::open(config_.stateDir / "syncd.db");
  if (!store) return store.error();
  store_ = std::move(*store);
  const auto executor = io_.get_executor();
  events_ = std::make_unique<jobs::EventHub>(executor);
  jobs::SchedulerOptions options;
  options.stateDir = config_.stateDir;
  options.repoSlots = config_.concurrency.repos;
  options.blobsPerRepo = config_.concurrency.blobsPerRepo;
  options.keepFinished = config_.jobs.keepFinished;
  options.keepDays = config_.jobs.keepDays;
  // Both live as long as the scheduler that calls this; a job's end reaches the next daemon
  // of a chain (notify:) and wakes a schedule that a trigger left pending.
  options.onFinished = [this](const jobs::JobRecord& job) {
    notify_->jobEnded(job);
    schedules_->jobFinished(job);
  };
  std::vector<std::filesystem::path> certsRoots = registry::defaultCertsRoots();
  notify_ = std::make_unique<jobs::Notifier>(executor, jobs::localEventSource(), certsRoots);
  notify_->setTargets(config_.notify);
  scheduler_ = std::make_unique<jobs::JobScheduler>(executor, *store_, *events_, options, settings_);
  schedules_ = std::make_unique<jobs::ScheduleRunner>(executor, *scheduler_, *store_);
  backend_ = std::make_unique<DaemonBackend>(*scheduler_, *schedules_, *notify_);
  router_ = std::make_unique<api::Router>(*backend_, auth_);
  api::ServerOptions serverOptions;
  serverOptions.listen = config_.listen;
  serverOptions.tls = config_.api.tls;
  server_ = std::make_unique<api::HttpServer>(executor, *router_, *events_, serverOptions);
  notifier_ = std::make_unique<SystemdNotifier>(executor);
  if (auto st = server_->start(); !st) return st;
  if (auto st = scheduler_->start(); !st) return st;
  schedules_->apply(config_.schedules);
  schedules_->start();
  backend_->setStarted(true);
  armSignals();
  housekeepingTimer_ = std::make_unique<boost::asio::steady_timer>(executor);
  boost::asio::co_spawn(executor, housekeeping(this), logSpawnError);
  for (const auto& a : server_->boundAddresses()) spdlog::info("API listening on {}", a);
  spdlog::info("autonomy-syncd {} ready: state in {}, {} schedule(s), {} repo(s) at once", AUTONOMY_VERSION,
               config_.stateDir.string(), config_.schedules.size(), config_.concurrency.repos);
  notifier_->ready(statusLine());
  notifier_->startWatchdog();
  return {};
}

int Daemon::run() {
  if (auto st = start(); !st) {
    spdlog::error("cannot start: {}", st.error().message);
    return st.error().code == ErrorCode::kConfig || st.error().code == ErrorCode::kUsage ? 2 : 1;
  }
  io_.run();
  if (scheduler_ && scheduler_->runningJobs() > 0) {
    // Jobs that outlived the grace period stay recorded as running; the next start resumes
    // them exactly as after a crash. Their coroutines are not unwound here.
    spdlog::warn("{} job(s) still stopping after {}s; they resume at the next start", scheduler_->runningJobs(),
                 kShutdownGrace.count());
    spdlog::shutdown();
    std::_Exit(exitCode_);
  }
  // Let cancelled operations complete so no coroutine outlives the objects it uses.
  io_.restart();
  for (int i = 0; i < 100 && io_.poll() > 0; ++i) {
  }
  spdlog::info("stopped");
  return exitCode_;
}

void Daemon::armSignals() {
  signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGTERM, SIGINT, SIGHUP);
  armSignalsAgain();
}

void Daemon::armSignalsAgain() {
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    onSignal(signal);
    // finishShutdown may have run inside onSignal (co_spawn dispatches): no wait after it.
    if (!signalsClosed_) armSignalsAgain();
  });
}

void Daemon::onSignal(int signal) {
  if (signal == SIGHUP) {
    if (!shuttingDown_) reload();
    return;
  }
  if (shuttingDown_) {
    spdlog::warn("second {}: exiting now; unfinished jobs resume at the next start", strsignal(signal));
    spdlog::shutdown();
    std::_Exit(1);
  }
  spdlog::info("{}: shutting down (jobs in progress resume at the next start)", strsignal(signal));
  beginShutdown();
}

void Daemon::beginShutdown() {
  shuttingDown_ = true;
  notifier_->stopping();
  server_->stop();
  schedules_->stop();
  scheduler_->shutdown();
  boost::asio::co_spawn(io_, finishShutdown(this), logSpawnError);
}

boost::asio::awaitable<void> Daemon::finishShutdown(Daemon* self) {
  const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  const bool idle = co_await self->scheduler_->waitIdle(deadline);
  self->notify_
      ->stop();  // after the last job's end was queued; what is undelivered is dropped  self->events_->closeAll();
  self->notifier_->stopWatchdog();
  self->housekeepingTimer_->cancel();
  boost::system::error_code ec;
  self->signalsClosed_ = true;
  self->signals_->cancel(ec);
  if (!idle) self->io_.stop();
}

void Daemon::reload() {
  notifier_->reloading();
  spdlog::info("SIGHUP: reloading {}", configPath_.string());
  config::LoadOptions options;
  options.checkFiles = true;
  auto loaded = config::loadConfigFile(configPath_, options);
  if (!loaded) {
    spdlog::error("reload failed; keeping the running configuration:");
    std::string_view rest = loaded.error().message;  // one error per line, as --check-config prints them
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      spdlog::error("  {}", rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
    notifier_->ready(statusLine());
    return;
  }
  const auto restart = config::restartRequiredChanges(config_, *loaded);
  config::DaemonConfig merged = config_;
  merged.schedules = loaded->schedules;
  merged.registries = loaded->registries;
  merged.keys = loaded->keys;
  merged.rekorKeys = loaded->rekorKeys;
  merged.defaults = loaded->defaults;
  merged.log = loaded->log;
  merged.notify = loaded->notify;
  auto settings = jobs::EngineSettings::create(merged, merged.stateDir / "certs.d");
  if (!settings) {
    spdlog::error("reload failed; keeping the running configuration: {}", settings.error().message);
    notifier_->ready(statusLine());
    return;
  }
  for (const auto& section : restart)
    spdlog::warn("reload: {} changed; that takes a restart (systemctl restart autonomy-syncd)", section);
  for (const auto& w : loaded->warnings) spdlog::warn("{}", w);
  config_ = std::move(merged);
  settings_ = std::move(*settings);
  setLogLevel(config_.log.level);
  scheduler_->setSettings(settings_);
  schedules_->apply(config_.schedules);
  notify_->setTargets(config_.notify);
  spdlog::info(
      "reloaded: {} schedule(s), {} registr{}, {} key(s); running jobs keep their settings except "
      "bandwidth caps and windows",
      config_.schedules.size(), config_.registries.size(), config_.registries.size() == 1 ? "y" : "ies",
      config_.keys.size());
  notifier_->ready(statusLine());
}

boost::asio::awaitable<void> Daemon::housekeeping(Daemon* self) {
  int periods = 0;
  while (!self->shuttingDown_) {
    self->housekeepingTimer_->expires_after(kHousekeepingPeriod);
    co_await self->housekeepingTimer_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (self->shuttingDown_) break;
    self->notifier_->status(self->statusLine());
    if (++periods % kPrunePeriods == 0) {
      if (auto st = self->scheduler_->pruneNow(); !st) spdlog::warn("pruning jobs: {}", st.error().message);
    }
  }
}

std::string Daemon::statusLine() const {
  if (!scheduler_) return "Starting";
  return std::to_string(scheduler_->runningJobs()) + " job(s) running, " + std::to_string(scheduler_->queuedJobs()) +
         " queued";
}

}  // namespace autonomy::daemon
