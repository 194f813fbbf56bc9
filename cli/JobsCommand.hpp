#pragma once
// `autonomy registry jobs list|show|watch|cancel|catalog`: the rest of autonomy-syncd's job API.
#include <CLI/CLI.hpp>
#include <string>

#include "cli/DaemonClient.hpp"

namespace autonomy::cli {

struct JobsArgs {
  DaemonFlags daemon;
  std::string id;
  std::string state;  // list --state
  std::size_t limit = 20;
  bool json = false;  // print the daemon's JSON as is
  std::string out;    // catalog --out
  bool quiet = false;
};

struct JobsCommands {
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* watch = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* catalog = nullptr;
};

// Adds `jobs` and its subcommands under `registry`, plus --via/--token-file to `sync`'s sibling.
JobsCommands addJobsCommands(CLI::App& registry, JobsArgs& args);
void addDaemonFlags(CLI::App& cmd, DaemonFlags& flags);
// Runs whichever `jobs` subcommand was parsed; -1 when none was.
int runJobsCommand(const JobsCommands& cmds, const JobsArgs& args);

}  // namespace autonomy::cli
