#pragma once
// The CloudEvents 1.0 event (structured mode, JSON) that tells notify: targets a job ended: what
// ran (schedule, from, to), how it ended, and each repo's digest, so that the next daemon of a
// chain knows what arrived.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "jobs/JobTypes.hpp"

namespace autonomy::jobs {

inline constexpr std::string_view kCloudEventsJson = "application/cloudevents+json";
// type is this prefix and the job's state: dev.autonomy.syncd.job.succeeded, ....failed, ...
inline constexpr std::string_view kJobEventTypePrefix = "dev.autonomy.syncd.job.";

// `source` names the sending daemon (a URI reference, "//edge-b/autonomy-syncd"). The event id
// is the job id: one job ends once, and a receiver may drop repeats by it.
nlohmann::json jobEndEvent(const JobRecord& job, std::string_view source);

// This host's event source: "//<hostname>/autonomy-syncd".
std::string localEventSource();

}  // namespace autonomy::jobs
