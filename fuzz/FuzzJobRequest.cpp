// POST /v1/jobs bodies, Idempotency-Key headers and schedule trigger bodies (CloudEvents).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/JobRequest.hpp"
#include "api/TriggerRequest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)autonomy::api::parseJobRequest(text);
  (void)autonomy::api::validateIdempotencyKey(text);
  (void)autonomy::api::parseTriggerBody(text);
  return 0;
}
