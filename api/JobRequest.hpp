#pragma once
// POST /v1/jobs bodies: the CLI's sync flags as JSON fields, checked field by field. Every
// error names the field ("repos[2]: ...") so a caller can fix exactly what is wrong.
#include <string_view>

#include "engine/core/Error.hpp"
#include "jobs/JobTypes.hpp"

namespace autonomy::api {

using jobs::kMaxReposPerJob;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// kUsage errors whose message starts with the field name.
Result<jobs::JobSpec> parseJobRequest(std::string_view body);

// Printable ASCII, 1..255 characters.
Status validateIdempotencyKey(std::string_view key);

}  // namespace autonomy::api
