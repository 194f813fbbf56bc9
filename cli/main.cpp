// autonomy: the operator's CLI. `autonomy registry sync|seed|seed-catalog`.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/ExitCodes.hpp"
#include "cli/InventoryCommand.hpp"
#include "cli/JobsCommand.hpp"
#include "cli/SidecarCommand.hpp"
#include "cli/SyncCommand.hpp"
#include "engine/core/EscapedLogMessage.hpp"
#include "engine/core/GuardedMain.hpp"
#include "engine/oci/Reference.hpp"

namespace {

constexpr const char* kSyncDescription =
    "Re-seed a peer edge registry from this one (edge-to-edge, delta).\n\n"
    "Replicates a set of repos from one edge registry to a peer: a seeded edge node re-seeds a\n"
    "neighbour. One seed per repo (A/<repo>:<tag> -> B/<repo>:<tag>), then the catalog roll-up.\n"
    "Only what B lacks crosses the wire: blobs B holds are skipped, blobs another B repo holds are\n"
    "mounted, and a repo whose tag, signature and attachments B already has costs no transfer.\n\n"
    "Verification is fail-closed: pass --pub-key, or explicitly --skip-verify. Each repo is\n"
    "verified against the same key before anything is written to B; signatures travel with the\n"
    "image so B can verify when it re-seeds its own neighbour.";

constexpr const char* kSyncFooter =
    "\nExamples:\n"
    "  autonomy registry sync \\\n"
    "      --from-registry edge-a.local:5000 --to-registry edge-b.local:5000 \\\n"
    "      --repos robot-behavior:v1,fleet/nav-stack:v2 \\\n"
    "      --pub-key ./cosign.pub --out ./sync\n\n"
    "  autonomy registry sync --from-registry a:5000 --to-registry b:5000 \\\n"
    "      --repos demo:v1 --allow-insecure-registry --skip-verify\n\n"
    "Output: <out>/<repo>/seed.json per repo and <out>/catalog.json.\n"
    "Exit status: 0 every repo ok, 1 one or more repos failed, 2 usage or configuration error,\n"
    "130 interrupted (SIGINT/SIGTERM; nothing incomplete is tagged at the destination).";

void configureLogging(bool verbose, bool quiet) {
  auto logger = spdlog::stderr_color_mt("autonomy");
  spdlog::set_default_logger(logger);
  logger->set_formatter(autonomy::escapedFormatter("%^%l%$: %V"));
  spdlog::set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);
}

}  // namespace

static int mainBody(int argc, char** argv) {
  using namespace autonomy::cli;
  CLI::App app{"autonomy: seed and govern OCI registries for edge / air-gapped deployments"};
  app.require_subcommand(1);
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "log requests and decisions");
  app.add_flag("-q,--quiet", quiet, "print only failures and the final line");
  int progressInterval = 30;
  app.add_option("--progress-interval", progressInterval,
                 "seconds between plain progress lines when stderr is not a terminal (journald, CI logs)")
      ->default_val(30)
      ->check(CLI::Range(1, 86400));
  app.set_version_flag("--version", std::string("autonomy ") + AUTONOMY_VERSION);

  auto* registry = app.add_subcommand("registry", "Seed and govern OCI registries for edge / air-gapped deployments");
  registry->require_subcommand(1);
  registry->fallthrough();  // -v/-q may follow the subcommand

  SyncArgs sync;
  auto* syncCmd = registry->add_subcommand("sync", kSyncDescription);
  syncCmd->footer(kSyncFooter);
  syncCmd->add_option("--from-registry", sync.fromRegistry,
                      "source registry host (e.g. edge-a.local:5000); this or --from-layout is required");
  syncCmd->add_option("--to-registry", sync.toRegistries,
                      "destination peer registry host (e.g. edge-b.local:5000); several peers (comma-separated or "
                      "repeated) make a fan-out: each blob is read from the source once for all of them; this or "
                      "--to-layout is required");
  syncCmd->add_option("--from-layout", sync.fromLayout,
                      "import: read the repos from this OCI image layout directory (verified again, fail-closed)");
  syncCmd->add_option("--to-layout", sync.toLayout,
                      "export: write the repos, their signatures and attachments into this OCI image layout "
                      "directory (created, or added to); carry it to the far side and import with --from-layout");
  syncCmd->add_option("--from-archive", sync.fromArchive,
                      "import: read the repos from this OCI archive (a tar of a layout; verified again, fail-closed)");
  syncCmd->add_option("--to-archive", sync.toArchive,
                      "export: write the repos into a new OCI archive FILE (renamed into place only when complete)");
  syncCmd
      ->add_option("--have", sync.have,
                   "with --to-layout/--to-archive: an inventory of the far side (`registry inventory`); blobs it "
                   "holds are left out of the export")
      ->check(CLI::ExistingFile);
  syncCmd->add_option("--repos", sync.repos, "repo[:tag] paths to replicate (comma-separated or repeated); required")
      ->required();
  syncCmd->add_option("--out", sync.out, "directory for the catalog roll-up + per-repo subdirs")->default_val(".");
  syncCmd->add_flag("--keep-going", sync.keepGoing,
                    "attempt every repo and report failures (still exits non-zero if any failed)");
  syncCmd->add_option("--concurrency", sync.concurrency, "repos copied in parallel")
      ->default_val(16)
      ->check(CLI::Range(1, 64));
  syncCmd
      ->add_option("--check-concurrency", sync.checkConcurrency,
                   "repos checked for changes in parallel (default 16, or --concurrency if larger); copies stay "
                   "bounded by --concurrency and, without --keep-going, start in the order given")
      ->check(CLI::Range(1, 256));
  addVerifyFlags(*syncCmd, sync.verify);
  addRegistryFlags(*syncCmd, sync.registry);
  addDaemonFlags(*syncCmd, sync.daemon);
  syncCmd->add_option("--key", sync.keyName, "with --via: verify with this key from the daemon's config (keys:)");
  syncCmd->add_flag("--detach", sync.detach, "with --via: submit, print the job id and exit without following");

  SeedArgs seed;
  auto* seedCmd = registry->add_subcommand(
      "seed", "Copy one repo from a registry to another, verified (the unit `sync` is built from)");
  seedCmd->footer(
      "\nExample:\n  autonomy registry seed --from edge-a.local:5000/fleet/nav:v2 --to edge-b.local:5000/fleet/nav \\\n"
      "      --pub-key ./cosign.pub --out ./seeds\n\nWrites <out>/<repo>/seed.json. Exit status as for sync.");
  seedCmd->add_option("--from", seed.from, "source image: host[:port]/repo[:tag|@sha256:…]; required")->required();
  seedCmd->add_option("--to", seed.to, "destination: host[:port]/repo[:tag] (tag defaults to the source's); required")
      ->required();
  seedCmd->add_option("--out", seed.out, "directory for <repo>/seed.json")->default_val(".");
  addVerifyFlags(*seedCmd, seed.verify);
  addRegistryFlags(*seedCmd, seed.registry);

  SeedCatalogArgs catalogArgs;
  auto* catalogCmd =
      registry->add_subcommand("seed-catalog", "Roll every <out>/**/seed.json up into <out>/catalog.json");
  catalogCmd->add_option("--out", catalogArgs.out, "directory holding the seed records")->default_val(".");

  SidecarArgs sidecar;
  CLI::App* sidecarPut = nullptr;
  CLI::App* sidecarGet = nullptr;
  addSidecarCommands(*registry, sidecar, &sidecarPut, &sidecarGet);
  InventoryArgs inventory;
  auto* inventoryCmd = addInventoryCommand(*registry, inventory);
  JobsArgs jobs;
  const auto jobsCmds = addJobsCommands(*registry, jobs);
  for (auto* sub : registry->get_subcommands({})) sub->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  configureLogging(verbose, quiet);
  if (!sync.fromRegistry.empty()) sync.fromRegistry = autonomy::oci::canonicalRegistryHost(sync.fromRegistry);
  sync.toRegistries = splitList(sync.toRegistries);
  for (auto& host : sync.toRegistries)
    if (!host.empty()) host = autonomy::oci::canonicalRegistryHost(host);
  sync.quiet = seed.quiet = jobs.quiet = inventory.quiet = quiet;
  sync.progressInterval = seed.progressInterval = progressInterval;
  // Engine settings that belong to the daemon's config when the run is handed over (--via).
  for (const char* name :
       {"--concurrency", "--check-concurrency", "--allow-insecure-registry", "--authfile", "--certs-dir",
        "--max-connections", "--blob-concurrency", "--stall-timeout", "--rekor-pub-key", "--limit-rate"})
    if (syncCmd->count(name) > 0) sync.localOnlyFlags.emplace_back(name);
  try {
    if (syncCmd->parsed()) return runSync(sync);
    if (seedCmd->parsed()) return runSeed(seed);
    if (catalogCmd->parsed()) return runSeedCatalog(catalogArgs);
    if (sidecarPut->parsed()) return runSidecarPut(sidecar);
    if (inventoryCmd->parsed()) return runInventory(inventory);
    if (sidecarGet->parsed()) return runSidecarGet(sidecar);
    if (int rc = runJobsCommand(jobsCmds, jobs); rc >= 0) return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return kExitFailed;
  }
  return kExitUsage;
}

int main(int argc, char** argv) {
  return autonomy::guardedMain("autonomy", [&] { return mainBody(argc, argv); });
}
