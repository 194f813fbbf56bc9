#pragma once
// `autonomy registry inventory`: what a registry holds of some repos, written to a file that an
// export on the connected side reads with `sync --have` to leave those blobs out.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/EngineSession.hpp"

namespace autonomy::cli {

struct InventoryArgs {
  std::string registry;
  std::vector<std::string> repos;
  std::string out;
  RegistryFlags flags;
  bool quiet = false;
};

CLI::App* addInventoryCommand(CLI::App& registry, InventoryArgs& args);
int runInventory(const InventoryArgs& args);

}  // namespace autonomy::cli
