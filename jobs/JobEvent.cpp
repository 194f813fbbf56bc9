#include "jobs/JobEvent.hpp"

#include <unistd.h>

#include <array>

namespace autonomy::jobs {

nlohmann::json jobEndEvent(const JobRecord& job, std::string_view source) {
  nlohmann::json repos = nlohmann::json::array();
  for (const auto& r : job.repos) {
    nlohmann::json repo{{"repo", r.ref.repo}, {"state", r.state}};
    if (!r.ref.tag.empty()) repo["tag"] = r.ref.tag;
    if (!r.digest.empty()) repo["digest"] = r.digest;
    repos.push_back(std::move(repo));
  }
  nlohmann::json data{
      {"job", job.id}, {"state", job.state}, {"from", job.spec.from}, {"to", job.spec.to}, {"repos", std::move(repos)}};
  if (!job.spec.schedule.empty()) data["schedule"] = job.spec.schedule;
  return {{"specversion", "1.0"},
          {"id", job.id},
          {"source", std::string(source)},
          {"type", std::string(kJobEventTypePrefix) + job.state},
          {"subject", "jobs/" + job.id},
          {"time", job.finishedAt},
          {"datacontenttype", "application/json"},
          {"data", std::move(data)}};
}

std::string localEventSource() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "//localhost/autonomy-syncd";
  return "//" + std::string(name.data()) + "/autonomy-syncd";
}

}  // namespace autonomy::jobs
