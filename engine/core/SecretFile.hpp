#pragma once
// Tokens and passwords kept in files (api.token_file, password_file, a notify token_file): the
// whole file, without the line ending an editor or `echo` leaves at its end.
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy {

// kConfig "<what>: cannot read <path>" when the file cannot be opened.
Result<std::string> readSecretFile(const std::filesystem::path& path, std::string_view what);

}  // namespace autonomy
