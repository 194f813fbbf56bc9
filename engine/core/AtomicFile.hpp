#pragma once
// Files that readers may see at any moment are replaced whole: temp file + fsync + rename,
// then the directory is fsynced so the rename survives a power cut.
#include <filesystem>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy {

Status writeFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace autonomy
