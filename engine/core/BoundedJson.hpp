#pragma once
// JSON from an untrusted party (a registry, a bundle, a log entry) with its size and nesting
// checked before the parser sees it: a deep `[[[[...` costs a scan, not a parse.
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/core/Error.hpp"

namespace autonomy {

struct JsonBounds {
  std::size_t maxBytes = 1024 * 1024;
  std::size_t maxDepth = 32;  // objects and arrays inside one another
};

// Errors carry `code` and name `what`: "<what> is not JSON", "<what> nests deeper than 32 levels".
Result<nlohmann::json> parseBoundedJson(std::string_view bytes, const JsonBounds& bounds, ErrorCode code,
                                        std::string_view what);

// The deepest nesting of objects and arrays in `bytes` (strings skipped); stops counting past `limit`.
std::size_t jsonNestingDepth(std::string_view bytes, std::size_t limit);

}  // namespace autonomy
