#include "engine/core/Failpoint.hpp"

#include <cstdlib>
#include <string>

namespace autonomy {

bool failpointActive(std::string_view name) {
  static const std::string active = [] {
    const char* v = std::getenv("AUTONOMY_FAILPOINT");
    return v ? std::string(v) : std::string();
  }();
  return !active.empty() && active == name;
}

}  // namespace autonomy
