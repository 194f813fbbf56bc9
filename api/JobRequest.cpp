#include "api/JobRequest.hpp"

#include "engine/catalog/SeedRecord.hpp"

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

namespace autonomy::api {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 12> kFields{"from_registry", "from_layout", "from_archive", "to_registry",
                                                   "to_layout",     "to_archive",  "repos",        "key",
                                                   "pub_key_pem",   "skip_verify", "copy_policy",  "keep_going"};
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxPemBytes = 64 * 1024;

const char* typeName(const json& v) { return v.type_name(); }

Result<std::string> registryField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return fieldError(name, "is required (a registry host[:port])");
  if (!it->is_string()) return fieldError(name, std::string("must be a string, not ") + typeName(*it));
  const auto host = it->get<std::string>();
  if (auto st = oci::validateRegistryHost(host); !st) return fieldError(name, st.error().message);
  return oci::canonicalRegistryHost(host);
}

// A layout directory or an archive file on the daemon's machine: an absolute path without "..",
// kept as written (lexically normal). Which directories are allowed is the scheduler's check.
Result<std::string> pathField(const json& body, const std::string& name) {
  const auto& v = body.at(name);
  if (!v.is_string()) return fieldError(name, std::string("must be a string, not ") + typeName(v));
  const auto text = v.get<std::string>();
  if (text.empty() || text.size() > kMaxPathBytes || text.find('\0') != std::string::npos)
    return fieldError(name, "must be an absolute path on the daemon's machine (1 to 4096 bytes)");
  const std::filesystem::path path(text);
  if (!path.is_absolute()) return fieldError(name, "must be an absolute path (it is resolved on the daemon's machine)");
  for (const auto& part : path)
    if (part == "..") return fieldError(name, "must not contain \"..\"");
  auto normal = path.lexically_normal();
  if (!normal.has_filename() && normal != normal.root_path()) normal = normal.parent_path();
  return normal.string();
}

// One end of the job: exactly one of <side>_registry, <side>_layout and <side>_archive.
Status parseEnd(const json& body, const std::string& side, std::string& where, endpoint::EndpointKind& kind) {
  using endpoint::EndpointKind;
  int given = 0;
  for (auto k : {EndpointKind::kRegistry, EndpointKind::kLayout, EndpointKind::kArchive}) {
    const auto name = side + "_" + std::string(endpoint::endpointKindName(k));
    if (!body.contains(name)) continue;
    if (++given > 1)
      return fieldError(name,
                        "give exactly one of " + side + "_registry, " + side + "_layout and " + side + "_archive");
    kind = k;
  }
  const auto name = side + "_" + std::string(endpoint::endpointKindName(kind));
  auto value = kind == EndpointKind::kRegistry ? registryField(body, name.c_str()) : pathField(body, name);
  if (!value) return value.error();
  where = std::move(*value);
  return {};
}

Result<bool> boolField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return false;
  if (!it->is_boolean()) return fieldError(name, std::string("must be true or false, not ") + typeName(*it));
  return it->get<bool>();
}

Status parseRepos(const json& body, jobs::JobSpec& spec) {
  auto it = body.find("repos");
  if (it == body.end()) return fieldError("repos", "is required (a list such as [\"fleet/nav:v2\"])");
  if (!it->is_array()) return fieldError("repos", std::string("must be a list, not ") + typeName(*it));
  if (it->empty()) return fieldError("repos", "names no repo");
  if (it->size() > kMaxReposPerJob)
    return fieldError("repos", "names " + std::to_string(it->size()) + " repos; at most " +
                                   std::to_string(kMaxReposPerJob) + " per job");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string field = "repos[" + std::to_string(i) + "]";
    const auto& item = (*it)[i];
    if (item.is_object()) {  // {"repo": ..., "semver": ...}: tags chosen when the job runs
      auto sel = oci::repoSelectionFromJson(item);
      if (!sel) return sel.error().within(field);
      if (auto st = catalog::checkRecordName(sel->repo); !st) return fieldError(field + ".repo", st.error().message);
      spec.selections.push_back(std::move(*sel));
      continue;
    }
    if (!item.is_string())
      return fieldError(field,
                        std::string("must be a string (\"repo:tag\") or a selection object, not ") + typeName(item));
    const auto text = item.get<std::string>();
    auto ref = oci::RepoRef::parse(text);
    if (!ref) return fieldError(field, ref.error().message);
    if (auto st = catalog::checkRecordName(ref->repo); !st) return fieldError(field, st.error().message);
    if (!seen.insert(ref->str()).second) return fieldError(field, ref->str() + " is named twice");
    spec.repos.push_back(std::move(*ref));
  }
  return {};
}

Status parseVerification(const json& body, jobs::JobSpec& spec) {
  if (auto it = body.find("key"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>().empty())
      return fieldError("key", "must be the name of a key in the daemon's config");
    spec.keyName = it->get<std::string>();
  }
  if (auto it = body.find("pub_key_pem"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>().empty())
      return fieldError("pub_key_pem", "must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
    if (it->get<std::string>().size() > kMaxPemBytes) return fieldError("pub_key_pem", "is too long for a public key");
    spec.pubKeyPem = it->get<std::string>();
  }
  auto skip = boolField(body, "skip_verify");
  if (!skip) return skip.error();
  spec.skipVerify = *skip;
  const int modes = (spec.keyName.empty() ? 0 : 1) + (spec.pubKeyPem.empty() ? 0 : 1) + (spec.skipVerify ? 1 : 0);
  if (modes == 0)
    return fieldError("key",
                      "refusing to copy unverified images: give key (a key name from the config) or "
                      "pub_key_pem (or skip_verify: true, for development only)");
  if (modes > 1) return fieldError("key", "give exactly one of key, pub_key_pem and skip_verify");
  return {};
}

}  // namespace

Result<jobs::JobSpec> parseJobRequest(std::string_view text) {
  auto body = json::parse(text, nullptr, false);
  if (body.is_discarded()) return fieldError("body", "is not valid JSON");
  if (!body.is_object()) return fieldError("body", std::string("must be a JSON object, not ") + typeName(body));
  for (const auto& [name, value] : body.items()) {
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end())
      return fieldError(name,
                        "is not a field of a job (fields: from_registry, from_layout, from_archive, to_registry, "
                        "to_layout, to_archive, repos, key, pub_key_pem, skip_verify, copy_policy, keep_going)");
  }
  jobs::JobSpec spec;
  if (auto st = parseEnd(body, "from", spec.from, spec.fromKind); !st) return st.error();
  if (auto st = parseEnd(body, "to", spec.to, spec.toKind); !st) return st.error();
  if (endpoint::isLocalKind(spec.fromKind) && endpoint::isLocalKind(spec.toKind))
    return fieldError("to_" + std::string(endpoint::endpointKindName(spec.toKind)),
                      "both ends are layouts or archives: one end of a job must be a registry");
  if (auto st = parseRepos(body, spec); !st) return st.error();
  if (auto st = parseVerification(body, spec); !st) return st.error();
  auto copyPolicy = boolField(body, "copy_policy");
  if (!copyPolicy) return copyPolicy.error();
  spec.copyPolicy = *copyPolicy;
  auto keepGoing = boolField(body, "keep_going");
  if (!keepGoing) return keepGoing.error();
  spec.keepGoing = *keepGoing;
  return spec;
}

Status validateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength)
    return fieldError("Idempotency-Key", "must be 1 to 255 characters");
  for (char c : key)
    if (c < 0x21 || c > 0x7e) return fieldError("Idempotency-Key", "must be printable ASCII without spaces");
  return {};
}

}  // namespace autonomy::api
