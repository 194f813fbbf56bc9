#pragma once
// `autonomy registry sidecar put|get`: the lock and policy documents a repo carries as OCI
// artifacts (tags autonomy.lock / autonomy.policy), which `sync --copy-policy` replicates.
#include <CLI/CLI.hpp>
#include <string>

#include "cli/EngineSession.hpp"

namespace autonomy::cli {

struct SidecarArgs {
  std::string registry;
  std::string repo;
  std::string kind;  // lock | policy
  std::string file;  // put: JSON document ("-" or empty: stdin); get: output file (empty: stdout)
  RegistryFlags flags;
};

void addSidecarCommands(CLI::App& registry, SidecarArgs& args, CLI::App** put, CLI::App** get);
int runSidecarPut(const SidecarArgs& args);
int runSidecarGet(const SidecarArgs& args);

}  // namespace autonomy::cli
