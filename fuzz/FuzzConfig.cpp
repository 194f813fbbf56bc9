// The daemon's YAML config.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/ConfigLoader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)autonomy::config::loadConfigString(text, "/etc/autonomy/syncd.yaml");
  return 0;
}
