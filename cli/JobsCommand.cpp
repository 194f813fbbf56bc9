#include "cli/JobsCommand.hpp"

#include <cstdio>

#include "engine/core/Printable.hpp"

#include "cli/ConsoleProgress.hpp"
#include "cli/DaemonJobs.hpp"
#include "cli/ExitCodes.hpp"
#include "engine/registry/Url.hpp"

namespace autonomy::cli {

namespace {

using nlohmann::json;

int fail(const Error& e) {
  std::fprintf(stderr, "error: %s\n", printable(e.message).c_str());
  return exitForError(e);
}

// A string the daemon sent, safe to print on one line.
std::string text(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? printable(j[key].get<std::string>()) : std::string("-");
}

std::uint64_t number(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}

// GET (or POST) and insist on one of the expected statuses.
Result<DaemonReply> fetch(DaemonClient& client, const std::string& method, const std::string& target,
                          std::initializer_list<unsigned> ok, const std::string& what) {
  auto reply = client.call(method, target);
  if (!reply) return reply.error();
  for (auto s : ok)
    if (reply->status == s) return reply;
  return reply->error(what);
}

std::string repoCounts(const json& job) {
  std::size_t done = 0;
  std::size_t total = 0;
  if (job.contains("repos") && job["repos"].is_array()) {
    for (const auto& r : job["repos"]) {
      ++total;
      const auto s = text(r, "state");
      if (s != "pending" && s != "running") ++done;
    }
  }
  return std::to_string(done) + "/" + std::to_string(total);
}

void printJobLine(const json& job) {
  std::printf("%-16s  %-10s  %-24s  %-5s  %s -> %s%s\n", text(job, "id").c_str(), text(job, "state").c_str(),
              text(job, "created_at").c_str(), repoCounts(job).c_str(), text(job, "from_registry").c_str(),
              text(job, "to_registry").c_str(),
              job.contains("schedule") && job["schedule"].is_string()
                  ? ("  (schedule " + text(job, "schedule") + ")").c_str()
                  : "");
}

void printJob(const json& job) {
  std::printf("job %s: %s\n", text(job, "id").c_str(), text(job, "state").c_str());
  std::printf("  %s -> %s, verification %s%s%s\n", text(job, "from_registry").c_str(), text(job, "to_registry").c_str(),
              job.contains("verification") ? text(job["verification"], "mode").c_str() : "-",
              job.value("keep_going", false) ? ", keep going" : "",
              job.value("copy_policy", false) ? ", copy policy" : "");
  std::printf("  created %s, started %s, finished %s\n", text(job, "created_at").c_str(),
              text(job, "started_at").c_str(), text(job, "finished_at").c_str());
  if (!job.contains("repos") || !job["repos"].is_array()) return;
  for (const auto& r : job["repos"]) {
    const auto digest = text(r, "digest");
    std::printf("  %-13s %s  %s  %s", text(r, "state").c_str(), text(r, "ref").c_str(),
                digest.size() > 19 ? digest.substr(0, 19).c_str() : digest.c_str(),
                ConsoleProgress::humanBytes(number(r, "bytes")).c_str());
    if (r.contains("blobs") && r["blobs"].is_object())
      std::printf("  blobs %llu copied/%llu mounted/%llu present",
                  static_cast<unsigned long long>(number(r["blobs"], "copied")),
                  static_cast<unsigned long long>(number(r["blobs"], "mounted")),
                  static_cast<unsigned long long>(number(r["blobs"], "present")));
    std::printf("\n");
    if (r.contains("error") && r["error"].is_object())
      std::printf("                error: %s\n", text(r["error"], "message").c_str());
  }
}

std::string jobPath(const std::string& id) { return "/v1/jobs/" + registry::urlEncode(id); }

int runList(DaemonClient& client, const JobsArgs& args) {
  std::string target = registry::appendQuery("/v1/jobs", "limit", std::to_string(args.limit));
  if (!args.state.empty()) target = registry::appendQuery(target, "state", args.state);
  auto reply = fetch(client, "GET", target, {200}, "list jobs");
  if (!reply) return fail(reply.error());
  if (args.json) return std::printf("%s\n", reply->body.c_str()), kExitOk;
  const auto page = reply->json();
  if (!page.contains("jobs") || page["jobs"].empty()) {
    std::fprintf(stderr, "no jobs%s\n", args.state.empty() ? "" : (" in state " + args.state).c_str());
    return kExitOk;
  }
  std::printf("%-16s  %-10s  %-24s  %-5s  %s\n", "ID", "STATE", "CREATED", "DONE", "FROM -> TO");
  for (const auto& job : page["jobs"]) printJobLine(job);
  return kExitOk;
}

int runShow(DaemonClient& client, const JobsArgs& args) {
  auto reply = fetch(client, "GET", jobPath(args.id), {200}, "job " + args.id);
  if (!reply) return fail(reply.error());
  if (args.json) return std::printf("%s\n", reply->body.c_str()), kExitOk;
  printJob(reply->json());
  return kExitOk;
}

int runWatch(DaemonClient& client, const JobsArgs& args) {
  auto reply = fetch(client, "GET", jobPath(args.id), {200}, "job " + args.id);
  if (!reply) return fail(reply.error());
  const auto job = reply->json();
  const std::size_t repos = job.contains("repos") && job["repos"].is_array() ? job["repos"].size() : 0;
  auto outcome = followJob(client, args.id, repos, args.quiet, OnInterrupt::kStopWatching);
  if (!outcome) return fail(outcome.error());
  if (outcome->interrupted) return kExitInterrupted;
  if (!args.quiet) std::fprintf(stderr, "job %s: %s\n", args.id.c_str(), outcome->state.c_str());
  return exitForJobState(outcome->state);
}

int runCancel(DaemonClient& client, const JobsArgs& args) {
  auto reply = fetch(client, "POST", jobPath(args.id) + "/cancel", {200, 202}, "cancel job " + args.id);
  if (!reply) return fail(reply.error());
  std::fprintf(stderr, "job %s: %s\n", args.id.c_str(),
               reply->status == 202 ? "cancelling (its transfers are being stopped)" : "cancelled");
  return kExitOk;
}

int runCatalog(DaemonClient& client, const JobsArgs& args) {
  if (!args.out.empty()) {
    auto cat = fetchCatalogInto(client, args.id, args.out);
    if (!cat) return fail(cat.error());
    std::fprintf(stderr, "catalog %s: %s (%zu repos)\n", (std::filesystem::path(args.out) / "catalog.json").c_str(),
                 cat->result().c_str(), cat->repos.size());
    return kExitOk;
  }
  auto reply = fetch(client, "GET", jobPath(args.id) + "/catalog", {200}, "catalog of job " + args.id);
  if (!reply) return fail(reply.error());
  std::printf("%s", reply->body.c_str());
  if (!reply->body.empty() && reply->body.back() != '\n') std::printf("\n");
  return kExitOk;
}

int runSchedulesList(DaemonClient& client, const JobsArgs& args) {
  auto reply = fetch(client, "GET", "/v1/schedules", {200}, "list schedules");
  if (!reply) return fail(reply.error());
  if (args.json) return std::printf("%s\n", reply->body.c_str()), kExitOk;
  const auto page = reply->json();
  if (!page.contains("schedules") || page["schedules"].empty()) {
    std::fprintf(stderr, "no schedules in the daemon's config\n");
    return kExitOk;
  }
  std::printf("%-20s  %-22s  %-24s  %-24s  %-16s  %s\n", "NAME", "TRIGGER", "LAST RUN", "NEXT RUN", "LAST JOB",
              "FROM -> TO");
  for (const auto& sc : page["schedules"])
    std::printf("%-20s  %-22s  %-24s  %-24s  %-16s  %s -> %s%s\n", text(sc, "name").c_str(),
                text(sc, "trigger").c_str(), text(sc, "last_run").c_str(), text(sc, "next_run").c_str(),
                text(sc, "last_job").c_str(), text(sc, "from_registry").c_str(), text(sc, "to_registry").c_str(),
                sc.value("enabled", true) ? "" : "  (disabled)");
  return kExitOk;
}

int runScheduleNow(DaemonClient& client, const JobsArgs& args) {
  auto reply = fetch(client, "POST", "/v1/schedules/" + registry::urlEncode(args.schedule) + "/run", {202},
                     "run schedule " + args.schedule);
  if (!reply) return fail(reply.error());
  const auto job = reply->json();
  const std::string id = job.is_object() ? job.value("id", "") : "";
  std::printf("%s\n", id.c_str());
  if (!args.quiet)
    std::fprintf(stderr, "schedule %s: job %s started; follow it with `autonomy registry jobs watch %s`\n",
                 args.schedule.c_str(), id.c_str(), id.c_str());
  return kExitOk;
}

}  // namespace

void addDaemonFlags(CLI::App& cmd, DaemonFlags& flags) {
  cmd.add_option("--via", flags.via,
                 "autonomy-syncd's URL (http://127.0.0.1:7480); default: $" + std::string(kEnvDaemonUrl));
  cmd.add_option("--token-file", flags.tokenFile,
                 "file holding the daemon's API token; default: $" + std::string(kEnvDaemonTokenFile) + ", then " +
                     kDefaultTokenFile);
  cmd.add_flag("--allow-insecure-daemon", flags.allowInsecure,
               "permit a plain-HTTP --via URL on a host that is not loopback (the token then travels in clear)");
}

JobsCommands addJobsCommands(CLI::App& registry, JobsArgs& args) {
  auto* jobs = registry.add_subcommand("jobs", "Jobs at autonomy-syncd: list, show, watch, cancel, fetch a catalog");
  jobs->require_subcommand(1);
  jobs->footer("\nThe daemon is named by --via or $" + std::string(kEnvDaemonUrl) + "; its token by --token-file or $" +
               kEnvDaemonTokenFile + ".");
  JobsCommands c;
  auto withDaemon = [&](CLI::App* sub) {
    addDaemonFlags(*sub, args.daemon);
    sub->fallthrough();
    return sub;
  };
  auto withId = [&](CLI::App* sub) {
    sub->add_option("id", args.id, "job id (from `jobs list` or the sync that submitted it)")->required();
    return withDaemon(sub);
  };
  c.list = withDaemon(jobs->add_subcommand("list", "Newest jobs first"));
  c.list->add_option("--state", args.state, "only jobs in this state")
      ->check(CLI::IsMember({"queued", "running", "succeeded", "partial", "failed", "cancelled"}));
  c.list->add_option("--limit", args.limit, "at most this many jobs")->default_val(20)->check(CLI::Range(1, 500));
  c.list->add_flag("--json", args.json, "print the daemon's JSON page");
  c.show = withId(jobs->add_subcommand("show", "A job with each repo's state, digest, bytes and error"));
  c.show->add_flag("--json", args.json, "print the daemon's JSON");
  c.watch = withId(jobs->add_subcommand(
      "watch", "Follow a job's progress to its end (exit status as for sync; Ctrl-C stops watching, not the job)"));
  c.cancel = withId(jobs->add_subcommand("cancel", "Cancel a queued or running job"));
  c.catalog = withId(jobs->add_subcommand("catalog", "A finished job's catalog.json (stdout, or --out DIR)"));
  c.catalog->add_option("--out", args.out, "write catalog.json and <repo>/seed.json here, as sync --out does");

  auto* schedules = registry.add_subcommand("schedules", "Schedules at autonomy-syncd: list them, run one now");
  schedules->require_subcommand(1);
  c.schedulesList =
      withDaemon(schedules->add_subcommand("list", "Each schedule's trigger, last and next run, last job"));
  c.schedulesList->add_flag("--json", args.json, "print the daemon's JSON");
  c.schedulesRun = withDaemon(
      schedules->add_subcommand("run", "Start a schedule's job now (prints its id; `jobs watch` follows it)"));
  c.schedulesRun->add_option("name", args.schedule, "the schedule's name in the daemon's config")->required();
  return c;
}

int runJobsCommand(const JobsCommands& cmds, const JobsArgs& args) {
  using Runner = int (*)(DaemonClient&, const JobsArgs&);
  const std::pair<CLI::App*, Runner> table[] = {{cmds.list, runList},
                                                {cmds.show, runShow},
                                                {cmds.watch, runWatch},
                                                {cmds.cancel, runCancel},
                                                {cmds.catalog, runCatalog},
                                                {cmds.schedulesList, runSchedulesList},
                                                {cmds.schedulesRun, runScheduleNow}};
  for (const auto& [cmd, run] : table) {
    if (!cmd || !cmd->parsed()) continue;
    if (daemonUrlFrom(args.daemon).empty())
      return fail(makeError(ErrorCode::kUsage,
                            "no daemon named: pass --via "
                            "http://127.0.0.1:7480 or set " +
                                std::string(kEnvDaemonUrl)));
    auto client = DaemonClient::connect(args.daemon);
    if (!client) return fail(client.error());
    return run(**client, args);
  }
  return -1;
}

}  // namespace autonomy::cli
