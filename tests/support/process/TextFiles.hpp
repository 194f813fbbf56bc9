#pragma once
// Small files the tests read back: logs, seed records, registry link files.
#include <filesystem>
#include <string>

namespace autonomy::testing {

// The whole file; "" when it does not exist (a log not written yet).
std::string readTextFile(const std::filesystem::path& path);
// The whole file; throws std::runtime_error naming it when it cannot be opened.
std::string readTextFileOrThrow(const std::filesystem::path& path);
// Without trailing newlines, carriage returns and spaces.
std::string trimTrailing(std::string text);

}  // namespace autonomy::testing
