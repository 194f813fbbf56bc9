#include "jobs/TimeText.hpp"

#include <cstdio>
#include <ctime>

namespace autonomy::jobs {

std::string formatRfc3339(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  if (ms < 0) ms += 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", date, static_cast<long long>(ms));
  return out;
}

}  // namespace autonomy::jobs
