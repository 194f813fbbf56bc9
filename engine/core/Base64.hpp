#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace autonomy {

std::string base64Encode(std::string_view bytes);
// Standard alphabet with padding; whitespace is ignored. nullopt on any other character.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace autonomy
