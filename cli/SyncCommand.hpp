#pragma once
// `autonomy registry sync|seed|seed-catalog`: flags, validation, and the in-process run.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/DaemonClient.hpp"
#include "cli/EngineSession.hpp"
#include "engine/copy/SyncRun.hpp"

namespace autonomy::cli {

struct VerifyFlags {
  std::string pubKey;
  std::vector<std::string> rekorKeys;  // --rekor-pub-key (repeatable)
  bool skipVerify = false;
  bool copyPolicy = false;
};

struct SyncArgs {
  std::string fromRegistry;
  std::vector<std::string> toRegistries;  // --to-registry: one peer, or several (a fan-out)
  std::string fromLayout;                 // --from-layout DIR instead of --from-registry
  std::string toLayout;                   // --to-layout DIR instead of --to-registry
  std::string fromArchive;                // --from-archive FILE instead of --from-registry
  std::string toArchive;                  // --to-archive FILE instead of --to-registry
  std::string have;                       // --have FILE: an inventory of the far side (exports only)
  std::vector<std::string> repos;
  std::string out = ".";
  bool keepGoing = false;
  std::size_t concurrency = 16;
  std::size_t checkConcurrency = 0;
  VerifyFlags verify;
  RegistryFlags registry;
  bool quiet = false;
  int progressInterval = 30;  // --progress-interval: seconds between plain progress lines off a terminal
  // --via: hand the job to autonomy-syncd instead of running it here.
  DaemonFlags daemon;
  std::string keyName;                      // --key: a key named in the daemon's config
  bool detach = false;                      // --detach: submit, print the job id, do not follow
  std::vector<std::string> localOnlyFlags;  // engine flags given on the command line (refused with --via)
};

struct SeedArgs {
  std::string from;  // host/repo[:tag|@digest]
  std::string to;    // host/repo[:tag]
  std::string out = ".";
  VerifyFlags verify;
  RegistryFlags registry;
  bool quiet = false;
  int progressInterval = 30;
};

struct SeedCatalogArgs {
  std::string out = ".";
};

void addRegistryFlags(CLI::App& cmd, RegistryFlags& flags);
void addVerifyFlags(CLI::App& cmd, VerifyFlags& flags);

// Peers a fan-out may name (each is a destination with its own connections and records).
inline constexpr std::size_t kMaxPeers = 16;

// The ends the flags name: exactly one of --from-registry/--from-layout/--from-archive, and one
// of --to-layout/--to-archive or one or more --to-registry (several: a fan-out).
struct SyncEnds {
  EndpointArg from;
  std::vector<EndpointArg> to;
  std::string describeTo() const;  // the peers, comma-separated
};

// "a,b" and repeated values as one list, in order; empty entries kept (the caller refuses them).
std::vector<std::string> splitList(const std::vector<std::string>& values);

int runSync(const SyncArgs& args);
Result<SyncEnds> endpointsOf(const SyncArgs& args);
// --repos checked and turned into per-repo plans (usage errors name the entry).
Result<std::vector<copy::RepoPlan>> planRepos(const SyncArgs& args);
void usageError(const std::string& message);
// Fail-closed: the key from --pub-key (and any --rekor-pub-key), or null with --skip-verify
// (which prints a warning).
Result<std::shared_ptr<const verify::TrustPolicy>> loadVerification(const VerifyFlags& v);
int runSeed(const SeedArgs& args);
int runSeedCatalog(const SeedCatalogArgs& args);

}  // namespace autonomy::cli
