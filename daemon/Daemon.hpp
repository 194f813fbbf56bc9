#pragma once
// autonomy-syncd's composition root: config, job store, scheduler, schedules, the API server
// and systemd integration on one io_context; signals for shutdown (SIGTERM/SIGINT) and reload
// (SIGHUP).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <memory>
#include <optional>

#include "api/HttpServer.hpp"
#include "api/Routes.hpp"
#include "config/DaemonConfig.hpp"
#include "daemon/DaemonBackend.hpp"
#include "daemon/SystemdNotifier.hpp"
#include "jobs/EventHub.hpp"
#include "jobs/JobScheduler.hpp"
#include "jobs/JobStore.hpp"
#include "jobs/Notifier.hpp"
#include "jobs/ScheduleRunner.hpp"

namespace autonomy::daemon {

inline constexpr auto kShutdownGrace = std::chrono::seconds(20);

// Everything a start needs, checked before anything listens: the config (files included), the
// API token, the keys. --check-config runs exactly this.
struct StartupConfig {
  config::DaemonConfig config;
  api::BearerAuth auth;
  std::shared_ptr<const jobs::EngineSettings> settings;
};
Result<StartupConfig> loadStartupConfig(const std::filesystem::path& configPath);

class Daemon {
 public:
  Daemon(std::filesystem::path configPath, StartupConfig startup);
  ~Daemon();

  // Runs until shut down; the process exit code.
  int run();

 private:
  Status start();
  void armSignals();
  void armSignalsAgain();
  void onSignal(int signal);
  void reload();
  void beginShutdown();
  static boost::asio::awaitable<void> finishShutdown(Daemon* self);
  static boost::asio::awaitable<void> housekeeping(Daemon* self);
  std::string statusLine() const;

  std::filesystem::path configPath_;
  config::DaemonConfig config_;
  boost::asio::io_context io_;
  std::unique_ptr<jobs::JobStore> store_;
  std::unique_ptr<jobs::EventHub> events_;
  std::unique_ptr<jobs::JobScheduler> scheduler_;
  std::unique_ptr<jobs::ScheduleRunner> schedules_;
  std::unique_ptr<jobs::Notifier> notify_;  // job events to notify: targets
  std::unique_ptr<DaemonBackend> backend_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
  std::unique_ptr<SystemdNotifier> notifier_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::unique_ptr<boost::asio::steady_timer> housekeepingTimer_;
  std::optional<api::BearerAuth> auth_;
  std::shared_ptr<const jobs::EngineSettings> settings_;
  bool shuttingDown_ = false;
  bool signalsClosed_ = false;
  int exitCode_ = 0;
};

}  // namespace autonomy::daemon
