#pragma once
// Named points where a test can make the process fail on purpose, e.g. die right after an
// upload chunk commits, to prove what a crash at that moment leaves behind. Off unless the
// environment variable AUTONOMY_FAILPOINT names the point; never set it in production.
#include <string_view>

namespace autonomy {

bool failpointActive(std::string_view name);

}  // namespace autonomy
