#pragma once
// Sends a CloudEvent (JobEvent.hpp) to every notify: target whose events match when a job ends.
// Each target has its own bounded outbox and one sender: an event that cannot be delivered is
// retried with backoff, and dropped (counted) when the outbox overflows, when the receiver
// refuses it for good (a 4xx other than 408/429), after kMaxAttempts, or at shutdown. A slow or
// absent receiver never holds up jobs: jobEnded() only queues.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/DaemonConfig.hpp"
#include "jobs/JobMetrics.hpp"
#include "jobs/JobTypes.hpp"

namespace autonomy::jobs {

inline constexpr std::size_t kMaxQueuedEvents = 64;  // per target; the oldest goes first
inline constexpr int kMaxAttempts = 8;               // about 4 minutes of backoff in all
inline constexpr std::chrono::seconds kFirstBackoff{1};
inline constexpr std::chrono::seconds kMaxBackoff{60};

class Notifier {
 public:
  // `source` is the CloudEvents source of this daemon; `certsRoots` the certs.d roots for https
  // targets (the system CAs are always trusted).
  Notifier(const boost::asio::any_io_executor& executor, std::string source,
           std::vector<std::filesystem::path> certsRoots);
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Start-up and reload: a target whose url stays keeps its outbox and counters; a removed
  // one stops and drops what it still holds.
  void setTargets(const std::vector<config::NotifyTarget>& targets);
  // Queues the job's end event for each matching target (a finished job only).
  void jobEnded(const JobRecord& job);
  // Shutdown: stops every sender; undelivered events are dropped and counted. (A sender owns
  // its outbox and never touches the Notifier, so destroying it needs no stop.)
  void stop();

  std::map<std::string, NotifyStats> stats() const;  // by target url

  struct Outbox;  // one target's queue and sender (Notifier.cpp)

 private:
  void startSender(const std::shared_ptr<Outbox>& box);

  boost::asio::any_io_executor executor_;
  std::string source_;
  std::vector<std::filesystem::path> certsRoots_;
  std::vector<std::shared_ptr<Outbox>> outboxes_;
  // Counters of targets removed by a reload, so /metrics never goes backwards for a url.
  std::map<std::string, NotifyStats> retired_;
};

}  // namespace autonomy::jobs
