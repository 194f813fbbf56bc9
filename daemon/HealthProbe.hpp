#pragma once
// `autonomy-syncd --healthcheck`: asks the running daemon's first listener for GET /healthz, for
// container health checks (podman, Docker HEALTHCHECK) in images that hold no curl. A wildcard
// listener (0.0.0.0, ::) is asked on loopback; HTTPS is not verified (nothing secret is sent).
#include <chrono>
#include <string>

#include "config/DaemonConfig.hpp"
#include "engine/core/Error.hpp"

namespace autonomy::daemon {

// The HTTP status /healthz answered, or why there was none.
Result<int> probeHealth(const config::DaemonConfig& config, std::chrono::seconds timeout = std::chrono::seconds(5));

}  // namespace autonomy::daemon
