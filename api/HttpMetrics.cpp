#include "api/HttpMetrics.hpp"

#include <array>
#include <iomanip>
#include <sstream>

#include "engine/catalog/SeedRecord.hpp"

namespace autonomy::api {

void HttpMetrics::observe(const std::string& route, int status, double seconds) {
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.total;
  h.sum += seconds;
  ++requests_[{route, status}];
}

namespace {
// Seconds to the millisecond, never in exponent form (counters run for months).
std::string secondsText(double seconds) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << seconds;
  return s.str();
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// A label value in the text exposition format: backslash, quote and newline escaped.
std::string escapeLabel(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

std::string HttpMetrics::render(const MetricsSnapshot& s) const {
  std::ostringstream out;
  header(out, "autonomy_syncd_jobs", "gauge", "Jobs in the job store, by state.");
  static constexpr std::array<const char*, 6> kStates{"queued",  "running", "succeeded",
                                                      "partial", "failed",  "cancelled"};
  for (const char* state : kStates) {
    auto it = s.jobsByState.find(state);
    out << "autonomy_syncd_jobs{state=\"" << state << "\"} " << (it == s.jobsByState.end() ? 0 : it->second) << '\n';
  }
  header(out, "autonomy_syncd_jobs_finished_total", "counter", "Jobs finished since start, by final state.");
  for (const char* state : {"succeeded", "partial", "failed", "cancelled"}) {
    auto it = s.counters.jobsFinished.find(state);
    out << "autonomy_syncd_jobs_finished_total{state=\"" << state << "\"} "
        << (it == s.counters.jobsFinished.end() ? 0 : it->second) << '\n';
  }
  header(out, "autonomy_syncd_repos_total", "counter", "Repos finished since start, by outcome.");
  for (const char* outcome : {catalog::kStatusCopied, catalog::kStatusUpToDate, catalog::kStatusFailed,
                              catalog::kStatusNotAttempted, catalog::kStatusCancelled}) {
    auto it = s.counters.reposByOutcome.find(outcome);
    out << "autonomy_syncd_repos_total{outcome=\"" << outcome << "\"} "
        << (it == s.counters.reposByOutcome.end() ? 0 : it->second) << '\n';
  }
  header(out, "autonomy_syncd_bytes_copied_total", "counter", "Blob bytes sent to destination registries.");
  out << "autonomy_syncd_bytes_copied_total " << s.counters.bytesSent << '\n';
  header(out, "autonomy_syncd_registry_bytes_copied_total", "counter",
         "Blob bytes sent to destination registries, by destination.");
  for (const auto& [host, n] : s.counters.bytesByRegistry)
    out << "autonomy_syncd_registry_bytes_copied_total{registry=\"" << host << "\"} " << n << '\n';
  header(out, "autonomy_syncd_repo_failures_total", "counter",
         "Repos that failed, by class of error (network, auth, registry, integrity, verification, ...).");
  for (const auto& [cls, n] : s.counters.failuresByClass)
    out << "autonomy_syncd_repo_failures_total{class=\"" << cls << "\"} " << n << '\n';
  header(out, "autonomy_syncd_blobs_total", "counter", "Blobs handled by finished repos: copied, mounted or skipped.");
  out << "autonomy_syncd_blobs_total{how=\"copied\"} " << s.counters.blobsCopied << '\n';
  out << "autonomy_syncd_blobs_total{how=\"mounted\"} " << s.counters.blobsMounted << '\n';
  out << "autonomy_syncd_blobs_total{how=\"skipped\"} " << s.counters.blobsPresent << '\n';
  header(out, "autonomy_syncd_verification_failures_total", "counter", "Repos that failed signature verification.");
  out << "autonomy_syncd_verification_failures_total " << s.counters.verificationFailures << '\n';
  header(out, "autonomy_syncd_jobs_resumed_total", "counter", "Jobs resumed after an unclean stop.");
  out << "autonomy_syncd_jobs_resumed_total " << s.counters.jobsResumed << '\n';
  header(out, "autonomy_syncd_scheduler_jobs", "gauge", "Jobs running or waiting in the scheduler.");
  out << "autonomy_syncd_scheduler_jobs{state=\"running\"} " << s.runningJobs << '\n';
  out << "autonomy_syncd_scheduler_jobs{state=\"queued\"} " << s.queuedJobs << '\n';

  header(out, "autonomy_syncd_registry_max_bandwidth_bytes", "gauge",
         "A registry host's bandwidth cap in bytes/s (max_bandwidth; 0: none).");
  for (const auto& [host, b] : s.bandwidth)
    out << "autonomy_syncd_registry_max_bandwidth_bytes{registry=\"" << host << "\"} " << b.cap << '\n';
  header(out, "autonomy_syncd_registry_blob_bytes_total", "counter",
         "Blob bytes moved to and from a registry host, both directions (what its cap paces).");
  for (const auto& [host, b] : s.bandwidth)
    out << "autonomy_syncd_registry_blob_bytes_total{registry=\"" << host << "\"} " << b.paced << '\n';
  header(out, "autonomy_syncd_registry_rate_bytes", "gauge",
         "Blob bytes per second to and from a registry host over the last 5 s, both directions.");
  for (const auto& [host, b] : s.bandwidth)
    out << "autonomy_syncd_registry_rate_bytes{registry=\"" << host << "\"} " << b.rate << '\n';
  header(out, "autonomy_syncd_registry_window_open", "gauge",
         "1 while one of a registry host's transfer windows is open (or it has none), else 0.");
  for (const auto& [host, b] : s.bandwidth)
    out << "autonomy_syncd_registry_window_open{registry=\"" << host << "\"} " << (b.windowOpen ? 1 : 0) << '\n';
  header(out, "autonomy_syncd_registry_paused_seconds_total", "counter",
         "Wall time transfers to or from a registry host waited outside its windows.");
  for (const auto& [host, b] : s.bandwidth)
    out << "autonomy_syncd_registry_paused_seconds_total{registry=\"" << host << "\"} " << secondsText(b.pausedSeconds)
        << '\n';
  header(out, "autonomy_syncd_schedule_paused_seconds_total", "counter",
         "Wall time a schedule's transfers waited outside its windows.");
  for (const auto& [name, seconds] : s.schedulePausedSeconds)
    out << "autonomy_syncd_schedule_paused_seconds_total{schedule=\"" << escapeLabel(name) << "\"} "
        << secondsText(seconds) << '\n';

  header(out, "autonomy_syncd_schedule_triggers_total", "counter",
         "Schedule triggers received (POST /v1/schedules/{name}/trigger), by schedule and outcome.");
  for (const auto& [key, n] : s.triggers)
    out << "autonomy_syncd_schedule_triggers_total{schedule=\"" << escapeLabel(key.first) << "\",outcome=\""
        << key.second << "\"} " << n << '\n';
  header(out, "autonomy_syncd_notify_events_total", "counter",
         "Job events for notify: targets: sent (delivered), failed (attempts), dropped (given up).");
  for (const auto& [url, n] : s.notify) {
    const std::string target = "url=\"" + escapeLabel(url) + "\"";
    out << "autonomy_syncd_notify_events_total{" << target << ",result=\"sent\"} " << n.sent << '\n';
    out << "autonomy_syncd_notify_events_total{" << target << ",result=\"failed\"} " << n.failed << '\n';
    out << "autonomy_syncd_notify_events_total{" << target << ",result=\"dropped\"} " << n.dropped << '\n';
  }
  header(out, "autonomy_syncd_notify_queued_events", "gauge", "Job events waiting for a notify: target.");
  for (const auto& [url, n] : s.notify)
    out << "autonomy_syncd_notify_queued_events{url=\"" << escapeLabel(url) << "\"} " << n.queued << '\n';

  header(out, "autonomy_syncd_http_requests_total", "counter", "API requests, by route and status.");
  for (const auto& [key, n] : requests_)
    out << "autonomy_syncd_http_requests_total{route=\"" << key.first << "\",code=\"" << key.second << "\"} " << n
        << '\n';
  header(out, "autonomy_syncd_http_request_duration_seconds", "histogram", "API request handling time, by route.");
  for (const auto& [route, h] : latency_) {
    const std::string label = "route=\"" + route + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out << "autonomy_syncd_http_request_duration_seconds_bucket{" << label << ",le=\"" << kBuckets[i] << "\"} "
          << h.counts[i] << '\n';
    out << "autonomy_syncd_http_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} " << h.total << '\n';
    out << "autonomy_syncd_http_request_duration_seconds_sum{" << label << "} " << h.sum << '\n';
    out << "autonomy_syncd_http_request_duration_seconds_count{" << label << "} " << h.total << '\n';
  }
  return out.str();
}

}  // namespace autonomy::api
