// POST /v1/jobs bodies and Idempotency-Key headers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/JobRequest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)autonomy::api::parseJobRequest(text);
  (void)autonomy::api::validateIdempotencyKey(text);
  return 0;
}
