// A daemon's server-sent event stream, as the CLI reads it: fed whole, then in two pieces.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/SseParser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  autonomy::cli::SseParser whole;
  (void)whole.feed(text);
  autonomy::cli::SseParser split;
  (void)split.feed(text.substr(0, size / 2));
  (void)split.feed(text.substr(size / 2));
  return 0;
}
