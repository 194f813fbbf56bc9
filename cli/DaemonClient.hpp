#pragma once
// The CLI's side of autonomy-syncd's REST API: where the daemon is (--via, AUTONOMY_SYNCD_URL),
// its bearer token (--token-file, AUTONOMY_SYNCD_TOKEN_FILE), one keep-alive connection for
// calls, and a follower for a job's server-sent events that Ctrl-C can interrupt.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/SseParser.hpp"
#include "engine/registry/Connection.hpp"

namespace autonomy::cli {

inline constexpr const char* kEnvDaemonUrl = "AUTONOMY_SYNCD_URL";
inline constexpr const char* kEnvDaemonTokenFile = "AUTONOMY_SYNCD_TOKEN_FILE";
inline constexpr const char* kDefaultTokenFile = "/etc/autonomy/syncd.token";

struct DaemonFlags {
  std::string via;             // http(s)://host:port; empty: $AUTONOMY_SYNCD_URL
  std::string tokenFile;       // empty: $AUTONOMY_SYNCD_TOKEN_FILE, then /etc/autonomy/syncd.token
  bool allowInsecure = false;  // --allow-insecure-daemon: send the token over plain HTTP off loopback
};

// True for 127.0.0.0/8, ::1 and localhost: plain HTTP there never leaves the machine.
bool isLoopbackHost(std::string_view host);

// The --via URL, from the flag or the environment; empty when neither is set.
std::string daemonUrlFrom(const DaemonFlags& flags);

struct DaemonReply {
  unsigned status = 0;
  std::string body;
  std::string location;

  nlohmann::json json() const;  // the body parsed; null when it is not JSON
  // The daemon's {"error": {...}} as an Error: 400/404/409/413 are usage errors, 401 auth.
  Error error(const std::string& what) const;
};

// How a follow ended.
enum class FollowEnd { kJobDone, kInterrupted, kStreamEnded };

class DaemonClient {
 public:
  static Result<std::unique_ptr<DaemonClient>> connect(const DaemonFlags& flags);
  ~DaemonClient();

  // One request and its answer. Network failures are retried (three tries in all): a POST
  // that may change state should carry an Idempotency-Key so that a retry cannot repeat it.
  Result<DaemonReply> call(const std::string& method, const std::string& target, const std::string& body = {},
                           const std::string& idempotencyKey = {});

  // Reads GET /v1/jobs/{id}/events, handing each event to onEvent, until the job-done event (or
  // a snapshot of a finished job), the end of the stream, or SIGINT/SIGTERM (the first one;
  // a second exits the process with 130).
  Result<FollowEnd> follow(const std::string& jobId, const std::function<void(const SseEvent&)>& onEvent);
  // From here on SIGINT/SIGTERM are counted (and reported by the next follow) instead of
  // killing the process: `sync --via` arms them before it submits, so a Ctrl-C that lands
  // while the job is being created still cancels it. follow() arms them too.
  void armSignals();
  void waitForSignal();

  const std::string& url() const { return url_; }

 private:
  DaemonClient() = default;
  Result<DaemonReply> callOnce(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& idempotencyKey);
  registry::HttpRequest request(const std::string& method, const std::string& target) const;

  boost::asio::io_context io_;
  registry::Origin origin_;
  std::string url_;
  std::string token_;
  std::unique_ptr<registry::Connection> conn_;  // kept alive between calls
  std::unique_ptr<boost::asio::signal_set> signals_;
  registry::Connection* following_ = nullptr;  // the event stream's connection, to close on Ctrl-C
  int interrupts_ = 0;
  int acknowledged_ = 0;  // interrupts a follow has already reported
};

// A random Idempotency-Key: one per CLI invocation.
std::string newIdempotencyKey();

}  // namespace autonomy::cli
