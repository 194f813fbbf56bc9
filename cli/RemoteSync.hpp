#pragma once
// `autonomy registry sync --via URL`: the same run, handed to autonomy-syncd.
#include <vector>

#include "cli/SyncCommand.hpp"

namespace autonomy::cli {

int runSyncVia(const SyncArgs& args, const std::vector<copy::RepoPlan>& plans);

}  // namespace autonomy::cli
