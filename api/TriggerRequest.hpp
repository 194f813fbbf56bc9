#pragma once
// POST /v1/schedules/{name}/trigger bodies: empty, or a CloudEvents 1.0 event in structured
// mode (what another daemon's notify: sends). The event's content does not change what runs
// (the schedule says that); it is checked so that a misdirected request is refused, and named
// in the log.
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::api {

// Who sent the trigger, for the log: "" for an empty body, else "<source> (event <id>)".
// kUsage errors with the field at fault (specversion, id, source, type).
Result<std::string> parseTriggerBody(std::string_view body);

}  // namespace autonomy::api
