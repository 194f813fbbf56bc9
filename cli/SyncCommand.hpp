#pragma once
// `autonomy registry sync|seed|seed-catalog`: flags, validation, and the in-process run.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/EngineSession.hpp"

namespace autonomy::cli {

struct VerifyFlags {
  std::string pubKey;
  bool skipVerify = false;
  bool copyPolicy = false;
};

struct SyncArgs {
  std::string fromRegistry;
  std::string toRegistry;
  std::vector<std::string> repos;
  std::string out = ".";
  bool keepGoing = false;
  std::size_t concurrency = 4;
  std::size_t checkConcurrency = 0;
  VerifyFlags verify;
  RegistryFlags registry;
  bool quiet = false;
};

struct SeedArgs {
  std::string from;  // host/repo[:tag|@digest]
  std::string to;    // host/repo[:tag]
  std::string out = ".";
  VerifyFlags verify;
  RegistryFlags registry;
  bool quiet = false;
};

struct SeedCatalogArgs {
  std::string out = ".";
};

void addRegistryFlags(CLI::App& cmd, RegistryFlags& flags);
void addVerifyFlags(CLI::App& cmd, VerifyFlags& flags);

int runSync(const SyncArgs& args);
int runSeed(const SeedArgs& args);
int runSeedCatalog(const SeedCatalogArgs& args);

}  // namespace autonomy::cli
