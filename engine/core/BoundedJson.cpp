#include "engine/core/BoundedJson.hpp"

#include <string>

namespace autonomy {

std::size_t jsonNestingDepth(std::string_view bytes, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool inString = false;
  bool escaped = false;
  for (const char c : bytes) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<nlohmann::json> parseBoundedJson(std::string_view bytes, const JsonBounds& bounds, ErrorCode code,
                                        std::string_view what) {
  const std::string name(what);
  if (bytes.size() > bounds.maxBytes)
    return makeError(code, name + " is " + std::to_string(bytes.size()) + " bytes, more than the " +
                               std::to_string(bounds.maxBytes) + " allowed");
  if (jsonNestingDepth(bytes, bounds.maxDepth) > bounds.maxDepth)
    return makeError(code, name + " nests deeper than " + std::to_string(bounds.maxDepth) + " levels");
  auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError(code, name + " is not JSON");
  return j;
}

}  // namespace autonomy
