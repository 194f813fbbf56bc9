#pragma once
// `autonomy registry jobs list|show|watch|cancel|catalog` and `registry schedules list|run`: the
// rest of autonomy-syncd's API.
#include <CLI/CLI.hpp>
#include <string>

#include "cli/DaemonClient.hpp"

namespace autonomy::cli {

struct JobsArgs {
  DaemonFlags daemon;
  std::string id;
  std::string state;  // list --state
  std::size_t limit = 20;
  bool json = false;     // print the daemon's JSON as is
  std::string out;       // catalog --out
  std::string schedule;  // schedules run NAME
  bool quiet = false;
};

struct JobsCommands {
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* watch = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* catalog = nullptr;
  CLI::App* schedulesList = nullptr;
  CLI::App* schedulesRun = nullptr;
};

// Adds `jobs` and `schedules` with their subcommands under `registry`.
JobsCommands addJobsCommands(CLI::App& registry, JobsArgs& args);
void addDaemonFlags(CLI::App& cmd, DaemonFlags& flags);
// Runs whichever `jobs` subcommand was parsed; -1 when none was.
int runJobsCommand(const JobsCommands& cmds, const JobsArgs& args);

}  // namespace autonomy::cli
