#pragma once
// Reads the `schedules:` list of syncd.yaml. Internal to the config library.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/DaemonConfig.hpp"
#include "config/YamlReader.hpp"
#include "engine/core/TransferWindows.hpp"

namespace autonomy::config::detail {

// Names of schedules and keys appear in API paths and job records: 1-64 of A-Z a-z 0-9 . _ -,
// starting with a letter or digit.
bool isValidName(std::string_view name);
inline constexpr std::string_view kNameRule =
    "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

// A `windows:` list (on a schedule or a registry), each entry checked on its own line.
std::optional<TransferWindows> readWindows(YamlReader& reader, const Located& at, const std::string& path);

// Schedules need the keys (to check `key:` names) and the defaults, so those are read first.
std::vector<Schedule> readSchedules(YamlReader& reader, const Located& at, const DaemonConfig& config,
                                    std::vector<std::string>& warnings);

}  // namespace autonomy::config::detail
