#pragma once
// RFC 3339 UTC timestamps with milliseconds, the form seed.json and the job store use; they
// sort as text in time order.
#include <chrono>
#include <string>

namespace autonomy::jobs {

std::string formatRfc3339(std::chrono::system_clock::time_point t);

}  // namespace autonomy::jobs
