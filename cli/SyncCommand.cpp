#include "cli/SyncCommand.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "engine/core/Printable.hpp"

#include "cli/ConsoleProgress.hpp"
#include "cli/ExitCodes.hpp"
#include "cli/RemoteSync.hpp"
#include "engine/catalog/Catalog.hpp"
#include "engine/copy/SyncRun.hpp"

namespace autonomy::cli {

void usageError(const std::string& message) { std::fprintf(stderr, "error: %s\n", printable(message).c_str()); }

// Fail-closed: a run verifies with a key, or the operator said out loud that it must not.
Result<std::shared_ptr<const verify::TrustPolicy>> loadVerification(const VerifyFlags& v) {
  if (!v.pubKey.empty() && v.skipVerify)
    return makeError(ErrorCode::kUsage, "--pub-key and --skip-verify contradict each other; pass one");
  if (!v.rekorKeys.empty() && v.skipVerify)
    return makeError(ErrorCode::kUsage, "--rekor-pub-key and --skip-verify contradict each other; pass one");
  if (v.pubKey.empty() && !v.skipVerify)
    return makeError(ErrorCode::kUsage,
                     "refusing to copy unverified images: pass --pub-key <cosign.pub> to verify every repo "
                     "(or --skip-verify, for development only)");
  if (v.skipVerify) {
    std::fprintf(stderr,
                 "WARNING: --skip-verify: signatures are NOT checked; unsigned or tampered images will be copied. "
                 "Never use this on a fleet.\n");
    return std::shared_ptr<const verify::TrustPolicy>();
  }
  auto key = verify::PublicKey::fromFile(v.pubKey);
  if (!key) return key.error();
  auto trust = std::make_shared<verify::TrustPolicy>(verify::TrustPolicy{std::move(*key), {}});
  for (const auto& path : v.rekorKeys) {
    auto rekor = verify::PublicKey::fromFile(path, "--rekor-pub-key");
    if (!rekor) return rekor.error();
    trust->rekorKeys.push_back(std::move(*rekor));
  }
  return std::shared_ptr<const verify::TrustPolicy>(std::move(trust));
}

namespace {

// The CLI's part of a run: each record goes to <out>/<repo>/seed.json (seed@<tag>.json for a repo
// with several tags in the run) as soon as it is known; in a fan-out, under <out>/<peer>/.
class SeedFiles final : public copy::RunHooks {
 public:
  SeedFiles(const std::filesystem::path& out, const std::vector<copy::RepoPlan>& plans,
            const std::vector<std::string>& peers = {})
      : written(std::max<std::size_t>(1, peers.size())) {
    if (peers.size() <= 1)
      dirs_.push_back(out);
    else
      for (const auto& peer : peers) dirs_.push_back(out / peer);
    for (const auto& p : plans) layout_.add(p.dest.repo);
  }
  void recorded(std::size_t, std::size_t peer, const catalog::SeedRecord& r) override {
    if (auto st = catalog::writeSeedRecord(dirs_[peer], r, layout_); !st && !error) error = st.error();
    written[peer].push_back(catalog::seedRecordPath(dirs_[peer], r, layout_));
  }
  const std::filesystem::path& dir(std::size_t peer) const { return dirs_[peer]; }
  std::vector<std::vector<std::filesystem::path>> written;  // per peer
  std::optional<Error> error;

 private:
  std::vector<std::filesystem::path> dirs_;
  catalog::RecordLayout layout_;
};

// The roll-up is `seed-catalog` over exactly these seed.json files.
Result<catalog::Catalog> catalogOf(const std::vector<std::filesystem::path>& files, std::string from, std::string to,
                                   std::string startedAt) {
  catalog::Catalog cat;
  cat.from = std::move(from);
  cat.to = std::move(to);
  cat.startedAt = std::move(startedAt);
  for (const auto& path : files) {
    auto r = catalog::readSeedRecord(path);
    if (!r) return r.error();
    cat.repos.push_back(std::move(*r));
  }
  cat.finishedAt = catalog::nowRfc3339();
  return cat;
}

int exitFor(const std::vector<catalog::SeedRecord>& records, bool interrupted) {
  if (interrupted) return kExitInterrupted;
  for (const auto& r : records)
    if (!r.ok()) return kExitFailed;
  return kExitOk;
}

}  // namespace

void addRegistryFlags(CLI::App& cmd, RegistryFlags& f) {
  cmd.add_flag("--allow-insecure-registry", f.allowInsecure,
               "permit plain-HTTP registries (e.g. localhost); HTTPS is still tried first");
  cmd.add_option("--authfile", f.authFile,
                 "registry credentials (Docker config.json / containers auth.json); default: REGISTRY_AUTH_FILE, "
                 "$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json")
      ->check(CLI::ExistingFile);
  cmd.add_option("--certs-dir", f.certsDirs,
                 "extra certs.d-style root: <dir>/<host:port>/ca.crt, client.cert, client.key (repeatable); "
                 "/etc/containers/certs.d and /etc/docker/certs.d are always searched")
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--max-connections", f.maxConnections,
                 "connections per registry host (a no-op re-sync checks this many repos per round trip)")
      ->default_val(16)
      ->check(CLI::Range(1, 256));
  cmd.add_option("--blob-concurrency", f.blobConcurrency, "blobs copied in parallel within a repo")
      ->default_val(4)
      ->check(CLI::Range(1, 64));
  cmd.add_option("--stall-timeout", f.stallTimeoutSeconds,
                 "seconds without progress before a transfer is retried (slow links are fine; stalls are not)")
      ->default_val(60)
      ->check(CLI::Range(1, 3600));
  cmd.add_option("--limit-rate", f.limitRate,
                 "cap the blob bytes moved to and from each registry host, both directions together, shared by "
                 "every connection (e.g. 2MiB/s, 500KiB/s, 1MB/s; K/M/G = 1000, Ki/Mi/Gi = 1024)");
}

void addVerifyFlags(CLI::App& cmd, VerifyFlags& v) {
  cmd.add_option("--pub-key", v.pubKey, "cosign public key (SPKI PEM) verifying every synced repo");
  cmd.add_option("--rekor-pub-key", v.rekorKeys,
                 "Rekor (transparency log) public key; makes a log entry it signed mandatory for every accepted "
                 "signature, checked offline (repeatable)");
  cmd.add_flag("--skip-verify", v.skipVerify, "bypass verification for all repos (fail-open; dev only)");
  cmd.add_flag("--copy-policy", v.copyPolicy, "also replicate each repo's lock/policy sidecars");
}

std::vector<std::string> splitList(const std::vector<std::string>& values) {
  std::vector<std::string> entries;
  for (const auto& value : values) {
    std::size_t start = 0;
    while (true) {
      const auto comma = value.find(',', start);
      entries.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return entries;
}

std::string SyncEnds::describeTo() const {
  std::string out;
  for (const auto& t : to) out += (out.empty() ? "" : ",") + t.describe();
  return out;
}

Result<SyncEnds> endpointsOf(const SyncArgs& args) {
  auto pick = [](const std::vector<std::string>& registries, const std::string& layout, const std::string& archive,
                 const std::string& side) -> Result<std::vector<EndpointArg>> {
    const int given = !registries.empty() + !layout.empty() + !archive.empty();
    if (given != 1)
      return makeError(ErrorCode::kUsage,
                       "give exactly one of --" + side + "-registry, --" + side + "-layout or --" + side + "-archive");
    if (registries.empty()) return std::vector<EndpointArg>{EndpointArg{{}, layout, archive, {}}};
    std::vector<EndpointArg> out;
    for (const auto& host : registries) {
      if (host.empty())
        return makeError(ErrorCode::kUsage, "--" + side + "-registry has an empty entry (a stray comma?)");
      if (auto st = oci::validateRegistryHost(host); !st) return st.error().context("--" + side + "-registry");
      for (const auto& seen : out)
        if (seen.registry == host)
          return makeError(ErrorCode::kUsage, "--" + side + "-registry names " + host + " twice");
      out.push_back(EndpointArg{host, {}, {}, {}});
    }
    if (out.size() > kMaxPeers)
      return makeError(ErrorCode::kUsage, "--" + side + "-registry names " + std::to_string(out.size()) +
                                              " peers; at most " + std::to_string(kMaxPeers) +
                                              " in one run (split them over several runs)");
    return out;
  };
  const std::vector<std::string> fromRegistries =
      args.fromRegistry.empty() ? std::vector<std::string>{} : std::vector<std::string>{args.fromRegistry};
  auto from = pick(fromRegistries, args.fromLayout, args.fromArchive, "from");
  if (!from) return from.error();
  auto to = pick(args.toRegistries, args.toLayout, args.toArchive, "to");
  if (!to) return to.error();
  SyncEnds ends{from->front(), std::move(*to)};
  if (ends.from.isLocal() && ends.to.front().isLocal())
    return makeError(ErrorCode::kUsage, "both ends are layouts or archives: one end of a sync must be a registry");
  if (!args.have.empty()) {
    if (!ends.to.front().isLocal())
      return makeError(ErrorCode::kUsage,
                       "--have leaves blobs out of an export: it needs --to-layout or --to-archive (a registry "
                       "destination is asked what it holds)");
    ends.to.front().have = args.have;
  }
  return ends;
}

Result<std::vector<copy::RepoPlan>> planRepos(const SyncArgs& args) {
  auto ends = endpointsOf(args);
  if (!ends) return ends.error();
  // Split by hand (not by the flag parser) so that an empty entry is refused, not dropped.
  const auto entries = splitList(args.repos);
  std::vector<copy::RepoPlan> plans;
  for (const auto& text : entries) {
    if (text.empty()) {
      std::string all;
      for (const auto& v : args.repos) all += (all.empty() ? "" : " ") + v;
      return makeError(ErrorCode::kUsage, "--repos has an empty entry (a stray comma?): " + all);
    }
    auto ref = oci::RepoRef::parse(text);
    if (!ref) return makeError(ErrorCode::kUsage, "--repos " + text + ": " + ref.error().message);
    if (auto st = catalog::checkRecordName(ref->repo); !st) return st.error().context("--repos " + text);
    for (const auto& p : plans)
      if (p.dest.str() == ref->str()) return makeError(ErrorCode::kUsage, "--repos names " + ref->str() + " twice");
    plans.push_back({*ref, *ref});
  }
  if (plans.empty()) return makeError(ErrorCode::kUsage, "--repos is empty");
  return plans;
}

int runSync(const SyncArgs& args) {
  auto planned = planRepos(args);
  if (!planned) return usageError(planned.error().message), kExitUsage;
  if (!daemonUrlFrom(args.daemon).empty()) {
    if (!args.fromLayout.empty() || !args.toLayout.empty() || !args.fromArchive.empty() || !args.toArchive.empty())
      return usageError("layouts and archives are files on this machine; they do not go with --via"), kExitUsage;
    if (args.toRegistries.size() > 1)
      return usageError(
                 "--via takes one --to-registry: a daemon job copies to one peer (submit a job per peer, "
                 "or run the fan-out here without --via)"),
             kExitUsage;
    return runSyncVia(args, *planned);
  }
  if (!args.keyName.empty())
    return usageError("--key names a key in the daemon's config; it needs --via (locally, pass --pub-key FILE)"),
           kExitUsage;
  if (args.detach)
    return usageError("--detach needs --via: only a daemon job can run on after the CLI exits"), kExitUsage;
  auto plans = std::move(*planned);
  auto key = loadVerification(args.verify);
  if (!key) return usageError(key.error().message), kExitUsage;
  const auto ends = *endpointsOf(args);  // checked by planRepos
  auto session = EngineSession::create(ends.from, ends.to, args.registry);
  if (!session) return usageError(session.error().message), kExitUsage;

  const std::filesystem::path out = args.out;
  const bool fanOut = ends.to.size() > 1;
  ConsoleProgress progress((*session)->io().get_executor(), plans.size() * ends.to.size(), args.quiet,
                           std::chrono::seconds(args.progressInterval));
  (*session)->context().progress = &progress;
  copy::RunOptions opts;
  opts.repos = plans;
  opts.trust = *key;
  opts.copyPolicy = args.verify.copyPolicy;
  opts.keepGoing = args.keepGoing;
  opts.repoConcurrency = args.concurrency;
  opts.checkConcurrency = args.checkConcurrency;
  std::vector<std::string> peerNames;
  for (const auto& t : ends.to) peerNames.push_back(t.describe());
  SeedFiles files(out, opts.repos, peerNames);
  const auto startedAt = catalog::nowRfc3339();
  copy::SyncRun run((*session)->context(), (*session)->copy().peers(), std::move(opts), files);
  auto records = (*session)->run(run.run());
  progress.finish();  // what follows starts on a line of its own
  if (!(*session)->interrupted()) {
    if (auto st = (*session)->run((*session)->copy().finish()); !st) {
      std::fprintf(stderr, "error: %s\n", printable(st.error().message).c_str());
      return kExitFailed;
    }
  }
  if (files.error) {
    std::fprintf(stderr, "error: writing seed records: %s\n", files.error->message.c_str());
    return kExitFailed;
  }
  // A fan-out: each peer's own catalog in its folder, then the roll-up of all of them.
  std::vector<std::filesystem::path> all;
  for (std::size_t peer = 0; peer < files.written.size(); ++peer) {
    all.insert(all.end(), files.written[peer].begin(), files.written[peer].end());
    if (!fanOut) continue;
    auto one = catalogOf(files.written[peer], ends.from.describe(), peerNames[peer], startedAt);
    if (!one) return usageError(one.error().message), kExitFailed;
    if (auto st = catalog::writeCatalog(files.dir(peer), *one); !st) {
      std::fprintf(stderr, "error: writing catalog: %s\n", st.error().message.c_str());
      return kExitFailed;
    }
    if (!args.quiet)
      std::fprintf(stderr, "sync %s -> %s: %s (%zu repos)\n", one->from.c_str(), one->to.c_str(), one->result().c_str(),
                   one->repos.size());
  }
  auto cat = catalogOf(all, ends.from.describe(), ends.describeTo(), startedAt);
  if (!cat) return usageError(cat.error().message), kExitFailed;
  if (auto st = catalog::writeCatalog(out, *cat); !st) {
    std::fprintf(stderr, "error: writing catalog: %s\n", st.error().message.c_str());
    return kExitFailed;
  }
  if (!args.quiet)
    std::fprintf(stderr, "sync %s -> %s: %s (%zu repos); catalog: %s\n", cat->from.c_str(), cat->to.c_str(),
                 cat->result().c_str(), cat->repos.size(), (out / "catalog.json").c_str());
  return exitFor(records, (*session)->interrupted());
}

int runSeed(const SeedArgs& args) {
  auto from = oci::ImageRef::parse(args.from);
  if (!from) return usageError("--from " + args.from + ": " + from.error().message), kExitUsage;
  auto toText = args.to;
  auto to = oci::ImageRef::parse(toText);
  if (!to) return usageError("--to " + args.to + ": " + to.error().message), kExitUsage;
  // `--to host/repo` without a tag keeps the source's tag (or digest).
  const auto afterHost = toText.substr(toText.find('/') + 1);
  if (afterHost.find(':') == std::string::npos && afterHost.find('@') == std::string::npos) {
    to->ref.tag = from->ref.tag;
    to->ref.digest = from->ref.tag.empty() ? from->ref.digest : std::nullopt;
  }
  auto key = loadVerification(args.verify);
  if (!key) return usageError(key.error().message), kExitUsage;
  auto session = EngineSession::create(from->host, to->host, args.registry);
  if (!session) return usageError(session.error().message), kExitUsage;
  ConsoleProgress progress((*session)->io().get_executor(), 1, args.quiet, std::chrono::seconds(args.progressInterval));
  (*session)->context().progress = &progress;
  copy::RunOptions opts;
  opts.repos = {{from->ref, to->ref}};
  opts.trust = *key;
  opts.copyPolicy = args.verify.copyPolicy;
  SeedFiles files(args.out, opts.repos);
  copy::SyncRun run((*session)->context(), std::move(opts), files);
  auto records = (*session)->run(run.run());
  progress.finish();
  if (files.error) {
    std::fprintf(stderr, "error: writing seed record: %s\n", files.error->message.c_str());
    return kExitFailed;
  }
  return exitFor(records, (*session)->interrupted());
}

int runSeedCatalog(const SeedCatalogArgs& args) {
  auto cat = catalog::buildCatalogFromDir(args.out);
  if (!cat) return usageError(cat.error().message), kExitUsage;
  if (cat->repos.empty()) return usageError("seed-catalog: no seed.json under " + args.out), kExitUsage;
  if (auto st = catalog::writeCatalog(args.out, *cat); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return kExitFailed;
  }
  std::fprintf(stderr, "catalog %s: %s (%zu repos)\n", (std::filesystem::path(args.out) / "catalog.json").c_str(),
               cat->result().c_str(), cat->repos.size());
  return cat->result() == catalog::kResultOk ? kExitOk : kExitFailed;
}

}  // namespace autonomy::cli
