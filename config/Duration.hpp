#pragma once
// Durations as operators write them in syncd.yaml: "30s", "5m", "2h", "1d", "1h30m".
#include <chrono>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::config {

// Whole seconds; one or more <number><unit> parts with units d, h, m, s from largest to
// smallest, each at most once ("1d12h", "2m30s"). No bare numbers: "30" is ambiguous.
Result<std::chrono::seconds> parseDuration(std::string_view text);

// The shortest form parseDuration reads back: 5400s -> "1h30m", 0s -> "0s".
std::string formatDuration(std::chrono::seconds duration);

}  // namespace autonomy::config
