#pragma once
// Loads and validates syncd.yaml. Errors carry the file, the 1-based line and the key path:
//   /etc/autonomy/syncd.yaml:12: schedules[0].every: "30x" is not a duration (use e.g. 30s, 5m, 2h)
// All problems found are reported at once, one per line, in file order (ErrorCode::kConfig).
#include <filesystem>
#include <string_view>

#include "config/DaemonConfig.hpp"
#include "engine/core/Error.hpp"

namespace autonomy::config {

struct LoadOptions {
  // Also require the files the config names (keys, token, TLS, auth and password files,
  // certs_dir) to exist; for --check-config and daemon start, not for editing elsewhere.
  bool checkFiles = false;
};

// Relative paths in the file are resolved against the file's directory.
Result<DaemonConfig> loadConfigFile(const std::filesystem::path& path, const LoadOptions& options = {});

// `name` stands for the file in messages and DaemonConfig::source; relative paths are resolved
// against its directory (the working directory when it has none).
Result<DaemonConfig> loadConfigString(std::string_view text, std::string_view name, const LoadOptions& options = {});

}  // namespace autonomy::config
