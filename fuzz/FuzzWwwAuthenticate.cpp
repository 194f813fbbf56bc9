// WWW-Authenticate headers from a registry.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/registry/AuthChallenge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  if (auto c = autonomy::registry::parseAuthChallenge(header)) (void)c->param("realm");
  return 0;
}
