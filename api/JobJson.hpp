#pragma once
// The job as the API shows it (SPEC §5). Inline PEM keys are never echoed back.
#include <nlohmann/json.hpp>

#include "api/ApiBackend.hpp"
#include "jobs/JobTypes.hpp"

namespace autonomy::api {

nlohmann::json jobToJson(const jobs::JobRecord& job);
nlohmann::json repoToJson(const jobs::RepoTask& task);
nlohmann::json scheduleToJson(const ScheduleView& schedule);

}  // namespace autonomy::api
