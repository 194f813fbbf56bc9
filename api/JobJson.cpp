#include "api/JobJson.hpp"

namespace autonomy::api {

using nlohmann::json;

namespace {
json orNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
// As the config lists them: "repo:tag" strings, then the selections as objects.
json repoList(const ScheduleView& v) {
  json out = v.repos;
  for (const auto& sel : v.selections) out.push_back(oci::toJson(sel));
  return out;
}
}  // namespace

json repoToJson(const jobs::RepoTask& t) {
  json j{{"repo", t.ref.repo},
         {"tag", t.ref.tag},
         {"ref", t.ref.str()},
         {"state", t.state},
         {"digest", orNull(t.digest)},
         {"bytes", t.bytes},
         {"blobs", {{"copied", t.blobsCopied}, {"mounted", t.blobsMounted}, {"present", t.blobsPresent}}},
         {"started_at", orNull(t.startedAt)},
         {"finished_at", orNull(t.finishedAt)}};
  if (t.error)
    j["error"] = {{"code", std::string(errorCodeName(t.error->code))}, {"message", t.error->message}};
  else
    j["error"] = nullptr;
  return j;
}

json jobToJson(const jobs::JobRecord& job) {
  const auto& s = job.spec;
  json verification;
  if (!s.keyName.empty())
    verification = {{"mode", "key"}, {"key", s.keyName}};
  else if (!s.pubKeyPem.empty())
    verification = {{"mode", "pub_key_pem"}};
  else
    verification = {{"mode", "skip"}};
  json repos = json::array();
  json counts = json::object();
  std::uint64_t bytes = 0;
  for (const auto& t : job.repos) {
    repos.push_back(repoToJson(t));
    counts[t.state] = counts.value(t.state, 0) + 1;
    bytes += t.bytes;
  }
  const std::string self = "/v1/jobs/" + job.id;
  json selections = json::array();
  for (const auto& sel : s.selections) selections.push_back(oci::toJson(sel));
  return {
      {"id", job.id},
      {"state", job.state},
      {"created_at", orNull(job.createdAt)},
      {"started_at", orNull(job.startedAt)},
      {"finished_at", orNull(job.finishedAt)},
      {"from_" + std::string(endpoint::endpointKindName(s.fromKind)), s.from},
      {"to_" + std::string(endpoint::endpointKindName(s.toKind)), s.to},
      {"verification", verification},
      {"copy_policy", s.copyPolicy},
      {"keep_going", s.keepGoing},
      {"schedule", orNull(s.schedule)},
      {"idempotency_key", s.idempotencyKey ? json(*s.idempotencyKey) : json(nullptr)},
      {"repos", repos},
      {"selections", selections},
      {"counts", counts},
      {"bytes", bytes},
      {"links",
       {{"self", self}, {"catalog", self + "/catalog"}, {"events", self + "/events"}, {"cancel", self + "/cancel"}}}};
}

json scheduleToJson(const ScheduleView& v) {
  return {{"name", v.name},
          {"trigger", v.trigger},
          {"jitter", v.jitter},
          {"from_registry", v.from},
          {"to_registry", v.to},
          {"repos", repoList(v)},
          {"key", orNull(v.key)},
          {"skip_verify", v.skipVerify},
          {"copy_policy", v.copyPolicy},
          {"keep_going", v.keepGoing},
          {"enabled", v.enabled},
          {"windows", v.windows},
          {"window_open", v.windowOpen},
          {"last_run", orNull(v.lastRun)},
          {"next_run", orNull(v.nextRun)},
          {"last_job", orNull(v.lastJob)}};
}

}  // namespace autonomy::api
