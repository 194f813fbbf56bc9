#pragma once
// spdlog on stderr: timestamps when run by hand; under systemd (JOURNAL_STREAM set) the
// journal stamps lines itself, so only the level is written, as a syslog priority prefix.
#include "config/DaemonConfig.hpp"

namespace autonomy::daemon {

void setupLogging();
void setLogLevel(config::LogLevel level);

}  // namespace autonomy::daemon
