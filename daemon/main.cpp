// autonomy-syncd: the replication daemon. `--check-config` validates the configuration (and
// every file it names) and exits; `--healthcheck` asks the running daemon's /healthz and exits;
// otherwise the daemon runs until SIGTERM/SIGINT.
// Exit status: 0 clean stop, valid config or healthy; 1 runtime failure or unhealthy; 2
// configuration error.
#include <sys/resource.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <cstdio>

#include "config/ConfigLoader.hpp"
#include "config/DaemonConfig.hpp"
#include "daemon/Daemon.hpp"
#include "daemon/HealthProbe.hpp"
#include "daemon/Logging.hpp"
#include "engine/core/GuardedMain.hpp"

static int mainBody(int argc, char** argv) {
  using namespace autonomy;
  std::string configPath(config::kDefaultConfigPath);
  bool checkOnly = false;
  bool healthcheck = false;
  CLI::App app{"autonomy-syncd: replicates OCI repositories between edge registries (REST API, schedules)"};
  app.add_option("--config", configPath, "configuration file")->default_val(std::string(config::kDefaultConfigPath));
  app.add_flag("--check-config", checkOnly, "validate the configuration and the files it names, then exit");
  app.add_flag("--healthcheck", healthcheck,
               "ask the running daemon's first listener for GET /healthz; exit 0 if it answers 200 (for container "
               "health checks)");
  app.set_version_flag("--version", std::string("autonomy-syncd ") + AUTONOMY_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (healthcheck) {
    auto loaded = config::loadConfigFile(configPath);
    if (!loaded) {
      std::fprintf(stderr, "autonomy-syncd: %s\n", loaded.error().message.c_str());
      return 2;
    }
    auto status = daemon::probeHealth(*loaded);
    if (!status) {
      std::fprintf(stderr, "autonomy-syncd: unhealthy: %s\n", status.error().message.c_str());
      return 1;
    }
    if (*status != 200) std::fprintf(stderr, "autonomy-syncd: unhealthy: /healthz answered HTTP %d\n", *status);
    return *status == 200 ? 0 : 1;
  }
  auto startup = daemon::loadStartupConfig(configPath);
  if (!startup) {
    std::fprintf(stderr, "autonomy-syncd: %s\n", startup.error().message.c_str());
    return 2;
  }
  if (checkOnly) {
    const auto& c = startup->config;
    std::printf("%s: OK (%zu listener(s), %zu schedule(s), %zu registr%s, %zu key(s))\n", configPath.c_str(),
                c.listen.size(), c.schedules.size(), c.registries.size(), c.registries.size() == 1 ? "y" : "ies",
                c.keys.size());
    for (const auto& w : c.warnings) std::printf("warning: %s\n", w.c_str());
    return 0;
  }
  // Many API connections and registry transfers at once: take the whole hard limit for files
  // (the unit sets LimitNOFILE=65536; a shell's soft limit is often 1024).
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  daemon::setupLogging();
  daemon::setLogLevel(startup->config.log.level);
  daemon::Daemon d(configPath, std::move(*startup));
  return d.run();
}

int main(int argc, char** argv) {
  return autonomy::guardedMain("autonomy-syncd", [&] { return mainBody(argc, argv); });
}
