#include "jobs/JobTypes.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/catalog/SeedRecord.hpp"

namespace autonomy::jobs {

bool isJobState(std::string_view state) {
  static constexpr std::array<std::string_view, 6> kAll{kJobQueued,  kJobRunning, kJobSucceeded,
                                                        kJobPartial, kJobFailed,  kJobCancelled};
  for (auto s : kAll)
    if (s == state) return true;
  return false;
}

bool isFinishedJobState(std::string_view state) {
  return state == kJobSucceeded || state == kJobPartial || state == kJobFailed || state == kJobCancelled;
}

bool isRepoOk(std::string_view state) { return state == catalog::kStatusCopied || state == catalog::kStatusUpToDate; }

bool isRepoDone(std::string_view state) { return isRepoOk(state) || state == catalog::kStatusFailed; }

bool JobSpec::sameRequest(const JobSpec& o) const {
  if (repos.size() != o.repos.size()) return false;
  for (std::size_t i = 0; i < repos.size(); ++i)
    if (repos[i].str() != o.repos[i].str()) return false;
  if (selections.size() != o.selections.size()) return false;
  for (std::size_t i = 0; i < selections.size(); ++i)
    if (oci::toJson(selections[i]) != oci::toJson(o.selections[i])) return false;
  return from == o.from && to == o.to && fromKind == o.fromKind && toKind == o.toKind && keyName == o.keyName &&
         pubKeyPem == o.pubKeyPem && skipVerify == o.skipVerify && copyPolicy == o.copyPolicy &&
         keepGoing == o.keepGoing && schedule == o.schedule;
}

nlohmann::json optionsToJson(const JobSpec& spec) {
  nlohmann::json j = nlohmann::json::object();
  if (!spec.keyName.empty()) j["key"] = spec.keyName;
  if (!spec.pubKeyPem.empty()) j["pub_key_pem"] = spec.pubKeyPem;
  j["skip_verify"] = spec.skipVerify;
  j["copy_policy"] = spec.copyPolicy;
  j["keep_going"] = spec.keepGoing;
  if (!spec.schedule.empty()) j["schedule"] = spec.schedule;
  // Registries are the default and stay unwritten, so rows from before layouts read the same.
  if (endpoint::isLocalKind(spec.fromKind)) j["from_kind"] = endpoint::endpointKindName(spec.fromKind);
  if (endpoint::isLocalKind(spec.toKind)) j["to_kind"] = endpoint::endpointKindName(spec.toKind);
  if (!spec.selections.empty()) {
    j["selections"] = nlohmann::json::array();
    for (const auto& sel : spec.selections) j["selections"].push_back(oci::toJson(sel));
    j["selections_expanded"] = spec.selectionsExpanded;
    j["named_repos"] = spec.repos.size();
  }
  return j;
}

void optionsFromJson(const nlohmann::json& j, JobSpec& spec) {
  spec.keyName = j.value("key", "");
  spec.pubKeyPem = j.value("pub_key_pem", "");
  spec.skipVerify = j.value("skip_verify", false);
  spec.copyPolicy = j.value("copy_policy", false);
  spec.keepGoing = j.value("keep_going", false);
  spec.schedule = j.value("schedule", "");
  spec.fromKind =
      endpoint::endpointKindFromName(j.value("from_kind", "registry")).value_or(endpoint::EndpointKind::kRegistry);
  spec.toKind =
      endpoint::endpointKindFromName(j.value("to_kind", "registry")).value_or(endpoint::EndpointKind::kRegistry);
  spec.selections.clear();
  if (auto it = j.find("selections"); it != j.end() && it->is_array())
    for (const auto& item : *it)
      if (auto sel = oci::repoSelectionFromJson(item); sel.ok()) spec.selections.push_back(std::move(*sel));
  spec.selectionsExpanded = j.value("selections_expanded", false);
  spec.namedRepos = j.value("named_repos", std::numeric_limits<std::size_t>::max());
}

std::string newJobId() {
  static thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string id(16, '0');
  for (auto& c : id) {
    c = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

bool isValidJobId(std::string_view id) {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string_view triggerOutcomeName(TriggerOutcome outcome) {
  switch (outcome) {
    case TriggerOutcome::kStarted:
      return "started";
    case TriggerOutcome::kQueued:
      return "queued";
    case TriggerOutcome::kAfterRunning:
      return "after_running";
    case TriggerOutcome::kDisabled:
      return "disabled";
  }
  return "started";
}

}  // namespace autonomy::jobs
