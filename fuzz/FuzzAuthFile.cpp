// Docker config.json / containers auth.json.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/registry/Credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto f = autonomy::registry::AuthFile::parse(text, "fuzz"); f.ok()) {
    (void)f->lookup("edge-a.local:5000");
    (void)f->lookup("edge-a.local:5000", "fleet/nav");
    (void)f->helperFor("edge-a.local:5000");  // which helper; never run here
  }
  return 0;
}
