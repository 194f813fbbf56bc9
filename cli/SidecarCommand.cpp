#include "cli/SidecarCommand.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/ExitCodes.hpp"
#include "cli/SyncCommand.hpp"
#include "engine/copy/Attachments.hpp"
#include "engine/endpoint/MemoryFeed.hpp"
#include "engine/oci/Manifest.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/oci/Reference.hpp"

namespace autonomy::cli {

namespace {

using registry::Task;

std::string artifactTypeFor(const std::string& kind) {
  return std::string(kind == "lock" ? oci::media::kLockArtifact : oci::media::kPolicyArtifact);
}
std::string tagFor(const std::string& kind) { return kind == "lock" ? copy::kLockTag : copy::kPolicyTag; }

Task<Status> putSidecar(endpoint::Endpoint* client, std::string repo, std::string kind, std::string document) {
  const std::string config = "{}";
  const auto configDigest = oci::Digest::ofBytes(config);
  const auto layerDigest = oci::Digest::ofBytes(document);
  for (const auto& [digest, bytes] : {std::pair{configDigest, config}, std::pair{layerDigest, document}}) {
    auto exists = co_await client->blobExists(repo, digest, nullptr);
    if (!exists) co_return exists.error();
    if (*exists) continue;
    endpoint::MemoryFeed feed(bytes, "the " + kind + " document");
    if (auto st = co_await client->writeBlob(repo, feed, endpoint::WriteOptions{}); !st) co_return st;
  }
  nlohmann::ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = oci::media::kOciManifest;
  m["artifactType"] = artifactTypeFor(kind);
  m["config"] = {{"mediaType", oci::media::kOciEmptyConfig}, {"digest", configDigest.str()}, {"size", config.size()}};
  m["layers"] = nlohmann::ordered_json::array(
      {{{"mediaType", "application/json"}, {"digest", layerDigest.str()}, {"size", document.size()}}});
  co_return co_await client->putManifest(repo, tagFor(kind), m.dump(), std::string(oci::media::kOciManifest), nullptr);
}

Task<Result<std::string>> getSidecar(endpoint::Endpoint* client, std::string repo, std::string kind) {
  auto m = co_await client->getManifest(repo, tagFor(kind), nullptr);
  if (!m) {
    if (m.error().code == ErrorCode::kNotFound)
      co_return makeError(ErrorCode::kNotFound,
                          "no " + kind + " sidecar (tag " + tagFor(kind) + ") in " + client->name() + "/" + repo);
    co_return m.error();
  }
  auto parsed = oci::parseManifest(m->bytes, m->info.mediaType);
  if (!parsed) co_return parsed.error();
  if (parsed->artifactType != artifactTypeFor(kind) || parsed->layers.size() != 1)
    co_return makeError(ErrorCode::kIntegrity, "tag " + tagFor(kind) + " in " + repo + " is not a " + kind +
                                                   " sidecar (artifactType '" + parsed->artifactType + "')");
  co_return co_await client->getBlob(repo, parsed->layers[0].digest, 4 << 20, nullptr);
}

Result<std::unique_ptr<EngineSession>> sessionFor(const SidecarArgs& a) {
  if (auto st = oci::validateRegistryHost(a.registry); !st) return st.error();
  if (auto st = oci::validateRepository(a.repo); !st) return st.error();
  return EngineSession::create(a.registry, a.registry, a.flags);
}

}  // namespace

void addSidecarCommands(CLI::App& registry, SidecarArgs& a, CLI::App** put, CLI::App** get) {
  auto* sidecar = registry.add_subcommand("sidecar", "Create or read a repo's lock/policy sidecar");
  sidecar->require_subcommand(1);
  sidecar->fallthrough();
  *put = sidecar->add_subcommand("put", "Push a JSON document as the repo's lock or policy sidecar");
  *get = sidecar->add_subcommand("get", "Print the repo's lock or policy sidecar");
  for (auto* cmd : {*put, *get}) {
    cmd->fallthrough();
    cmd->add_option("--registry", a.registry, "registry host (e.g. edge-a.local:5000)")->required();
    cmd->add_option("--repo", a.repo, "repository path (e.g. fleet/nav-stack)")->required();
    cmd->add_option("--kind", a.kind, "lock or policy")->required()->check(CLI::IsMember({"lock", "policy"}));
    cmd->add_flag("--allow-insecure-registry", a.flags.allowInsecure, "permit a plain-HTTP registry");
    cmd->add_option("--authfile", a.flags.authFile, "registry credentials file")->check(CLI::ExistingFile);
    cmd->add_option("--certs-dir", a.flags.certsDirs, "extra certs.d-style root")->check(CLI::ExistingDirectory);
  }
  (*put)->add_option("--file", a.file, "the JSON document (default: stdin)");
  (*get)->add_option("--file", a.file, "write the document here (default: stdout)");
  (*put)->footer(
      "\nExample:\n  autonomy registry sidecar put --registry edge-a.local:5000 --repo fleet/nav --kind lock "
      "--file lock.json");
}

int runSidecarPut(const SidecarArgs& a) {
  std::string doc;
  if (a.file.empty() || a.file == "-") {
    doc.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(a.file);
    if (!in) return std::fprintf(stderr, "error: cannot read --file %s\n", a.file.c_str()), kExitUsage;
    std::stringstream ss;
    ss << in.rdbuf();
    doc = ss.str();
  }
  auto parsed = nlohmann::json::parse(doc, nullptr, false);
  if (parsed.is_discarded())
    return std::fprintf(stderr, "error: the %s document is not valid JSON; nothing was pushed\n", a.kind.c_str()),
           kExitUsage;
  auto session = sessionFor(a);
  if (!session) return std::fprintf(stderr, "error: %s\n", session.error().message.c_str()), kExitUsage;
  auto st = (*session)->run(putSidecar((*session)->context().dest, a.repo, a.kind, doc));
  if (!st) return std::fprintf(stderr, "error: %s\n", st.error().message.c_str()), kExitFailed;
  std::fprintf(stderr, "pushed %s sidecar to %s/%s:%s\n", a.kind.c_str(), a.registry.c_str(), a.repo.c_str(),
               tagFor(a.kind).c_str());
  return kExitOk;
}

int runSidecarGet(const SidecarArgs& a) {
  auto session = sessionFor(a);
  if (!session) return std::fprintf(stderr, "error: %s\n", session.error().message.c_str()), kExitUsage;
  auto doc = (*session)->run(getSidecar((*session)->context().source, a.repo, a.kind));
  if (!doc) return std::fprintf(stderr, "error: %s\n", doc.error().message.c_str()), kExitFailed;
  if (a.file.empty()) {
    std::fwrite(doc->data(), 1, doc->size(), stdout);
    if (doc->empty() || doc->back() != '\n') std::fputc('\n', stdout);
  } else {
    std::ofstream(a.file) << *doc;
  }
  return kExitOk;
}

}  // namespace autonomy::cli
