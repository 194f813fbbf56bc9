#include "cli/RemoteSync.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/DaemonJobs.hpp"
#include "cli/ExitCodes.hpp"

namespace autonomy::cli {

namespace {

// The job body: the CLI's flags as the API's fields. A --pub-key file is read here and sent as
// PEM: the daemon never opens a path a caller names.
Result<nlohmann::json> jobBody(const SyncArgs& args, const std::vector<copy::RepoPlan>& plans) {
  nlohmann::json body{{"from_registry", args.fromRegistry},
                      {"to_registry", args.toRegistries.front()},
                      {"repos", nlohmann::json::array()},
                      {"copy_policy", args.verify.copyPolicy},
                      {"keep_going", args.keepGoing}};
  for (const auto& p : plans) body["repos"].push_back(p.source.str());
  if (!args.keyName.empty()) {
    if (!args.verify.pubKey.empty() || args.verify.skipVerify)
      return makeError(ErrorCode::kUsage, "--key, --pub-key and --skip-verify contradict each other; pass one");
    body["key"] = args.keyName;
    return body;
  }
  auto key = loadVerification(args.verify);  // checks the file locally: a bad key fails before submitting
  if (!key) return key.error();
  if (args.verify.skipVerify) {
    body["skip_verify"] = true;
    return body;
  }
  std::ifstream in(args.verify.pubKey);
  std::stringstream pem;
  pem << in.rdbuf();
  body["pub_key_pem"] = pem.str();
  return body;
}

}  // namespace

int runSyncVia(const SyncArgs& args, const std::vector<copy::RepoPlan>& plans) {
  if (!args.localOnlyFlags.empty()) {
    std::string flags;
    for (const auto& f : args.localOnlyFlags) flags += (flags.empty() ? "" : ", ") + f;
    return usageError(flags +
                      ": not with --via; the daemon connects to registries with the settings in its own "
                      "config (registries:, concurrency:, rekor_keys: in syncd.yaml)"),
           kExitUsage;
  }
  auto body = jobBody(args, plans);
  if (!body) return usageError(body.error().message), kExitUsage;
  auto client = DaemonClient::connect(args.daemon);
  if (!client) return usageError(client.error().message), kExitUsage;

  (*client)->armSignals();
  // One key per invocation: if the answer to the POST is lost, the retry finds the same job.
  auto reply = (*client)->call("POST", "/v1/jobs", body->dump(), newIdempotencyKey());
  if (!reply) return usageError(reply.error().message), exitForError(reply.error());
  if (reply->status != 202) {
    const auto e = reply->error("autonomy-syncd at " + (*client)->url() + " refused the job");
    return usageError(e.message), exitForError(e);
  }
  const auto job = reply->json();
  const std::string id = job.is_object() ? job.value("id", "") : "";
  if (id.empty()) return usageError("autonomy-syncd answered 202 without a job id"), kExitFailed;
  if (args.detach) {
    std::printf("%s\n", id.c_str());
    if (!args.quiet)
      std::fprintf(stderr, "submitted job %s to %s; follow it with `autonomy registry jobs watch %s`\n", id.c_str(),
                   (*client)->url().c_str(), id.c_str());
    return kExitOk;
  }
  if (!args.quiet)
    std::fprintf(stderr, "job %s at %s: %zu repos\n", id.c_str(), (*client)->url().c_str(), plans.size());

  auto outcome = followJob(**client, id, plans.size(), args.quiet, OnInterrupt::kCancelJob);
  if (!outcome) return usageError(outcome.error().message), exitForError(outcome.error());
  const std::filesystem::path out = args.out;
  auto cat = fetchCatalogInto(**client, id, out);
  if (!cat) {
    std::fprintf(stderr, "error: %s\n", cat.error().message.c_str());
    return outcome->interrupted ? kExitInterrupted : kExitFailed;
  }
  if (!args.quiet)
    std::fprintf(stderr, "sync %s -> %s: %s (%zu repos); catalog: %s (daemon job %s)\n", args.fromRegistry.c_str(),
                 args.toRegistries.front().c_str(), cat->result().c_str(), cat->repos.size(),
                 (out / "catalog.json").c_str(), id.c_str());
  if (outcome->interrupted) return kExitInterrupted;
  return exitForJobState(outcome->state);
}

}  // namespace autonomy::cli
