#include "cli/InventoryCommand.hpp"

#include <cstdio>

#include "cli/ExitCodes.hpp"
#include "cli/SyncCommand.hpp"
#include "engine/copy/Inventory.hpp"
#include "engine/core/Printable.hpp"

namespace autonomy::cli {

CLI::App* addInventoryCommand(CLI::App& registry, InventoryArgs& a) {
  auto* cmd = registry.add_subcommand(
      "inventory", "List the blobs a registry holds of some repos, for an export that leaves them out (sync --have)");
  cmd->add_option("--registry", a.registry, "the registry on the far side (e.g. edge-b.local:5000)")->required();
  cmd->add_option("--repos", a.repos, "repo[:tag] whose current content to list (comma-separated or repeated)")
      ->required();
  cmd->add_option("--out", a.out, "the inventory file to write (e.g. have.json)")->required();
  cmd->add_flag("--allow-insecure-registry", a.flags.allowInsecure, "permit a plain-HTTP registry");
  cmd->add_option("--authfile", a.flags.authFile, "registry credentials file")->check(CLI::ExistingFile);
  cmd->add_option("--certs-dir", a.flags.certsDirs, "extra certs.d-style root")->check(CLI::ExistingDirectory);
  cmd->footer(
      "\nExample (on the far side, then carry have.json to the connected side):\n"
      "  autonomy registry inventory --registry edge-b.local:5000 --repos fleet/nav:v1 --out have.json\n"
      "  autonomy registry sync --from-registry edge-a.local:5000 --to-layout /media/usb/fleet \\\n"
      "      --repos fleet/nav:v2 --have have.json --pub-key cosign.pub");
  return cmd;
}

int runInventory(const InventoryArgs& a) {
  SyncArgs asSync;  // the same --repos grammar and checks as sync
  asSync.fromRegistry = oci::canonicalRegistryHost(a.registry);
  asSync.toRegistries = {asSync.fromRegistry};
  asSync.repos = a.repos;
  auto plans = planRepos(asSync);
  if (!plans) return usageError(plans.error().message), kExitUsage;
  std::vector<oci::RepoRef> refs;
  for (const auto& p : *plans) refs.push_back(p.source);
  auto session = EngineSession::create(asSync.fromRegistry, asSync.fromRegistry, a.flags);
  if (!session) return usageError(session.error().message), kExitUsage;
  auto inv = (*session)->run(copy::takeInventory(&(*session)->context(), std::move(refs)));
  if (!inv) return std::fprintf(stderr, "error: %s\n", printable(inv.error().message).c_str()), kExitFailed;
  if (auto st = copy::writeInventory(a.out, *inv); !st)
    return std::fprintf(stderr, "error: %s\n", printable(st.error().message).c_str()), kExitFailed;
  std::size_t blobs = 0;
  for (const auto& [repo, held] : inv->blobs) blobs += held.size();
  if (!a.quiet)
    std::fprintf(stderr, "inventory of %s: %zu repos, %zu blobs held; written to %s\n", inv->registry.c_str(),
                 inv->blobs.size(), blobs, a.out.c_str());
  return kExitOk;
}

}  // namespace autonomy::cli
