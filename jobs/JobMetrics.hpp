#pragma once
// Counters since the daemon started, for /metrics. Jobs by state come from the store instead
// (they survive restarts); these are Prometheus counters and may start again from zero.
#include <cstdint>
#include <map>
#include <string>

namespace autonomy::jobs {

// One notify: target's events since start.
struct NotifyStats {
  std::uint64_t sent = 0;     // delivered (2xx)
  std::uint64_t failed = 0;   // attempts that did not deliver (each retry counts)
  std::uint64_t dropped = 0;  // events given up on
  std::size_t queued = 0;     // waiting now
};

struct JobMetrics {
  std::map<std::string, std::uint64_t> reposByOutcome;  // copied, up-to-date, failed, ...
  std::map<std::string, std::uint64_t> jobsFinished;    // succeeded, partial, failed, cancelled
  std::uint64_t bytesSent = 0;
  std::map<std::string, std::uint64_t> bytesByRegistry;  // destination host -> bytes sent to it
  std::map<std::string, std::uint64_t> failuresByClass;  // errorCodeName(): network, auth, ...
  std::uint64_t blobsCopied = 0;
  std::uint64_t blobsMounted = 0;
  std::uint64_t blobsPresent = 0;
  std::uint64_t verificationFailures = 0;
  std::uint64_t jobsResumed = 0;
};

}  // namespace autonomy::jobs
