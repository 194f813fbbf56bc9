#pragma once
// The daemon's configuration (/etc/autonomy/syncd.yaml), after loading and validation: every
// path is absolute, every default is filled in, every cross-reference has been checked.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/CronExpression.hpp"
#include "engine/core/Error.hpp"
#include "engine/core/TransferWindows.hpp"
#include "engine/oci/Reference.hpp"
#include "engine/oci/TagSelection.hpp"

namespace autonomy::config {

inline constexpr std::string_view kDefaultConfigPath = "/etc/autonomy/syncd.yaml";
inline constexpr std::string_view kDefaultListen = "127.0.0.1:7480";
inline constexpr std::string_view kDefaultStateDir = "/var/lib/autonomy-syncd";
inline constexpr std::size_t kDefaultConcurrentRepos = 4;
inline constexpr std::size_t kDefaultConnectionsPerRegistry = 8;
inline constexpr std::size_t kDefaultBlobsPerRepo = 4;
inline constexpr std::size_t kDefaultKeepFinishedJobs = 500;
inline constexpr std::chrono::days kDefaultKeepJobsFor{30};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

std::string_view logLevelName(LogLevel level);
std::optional<LogLevel> parseLogLevel(std::string_view name);

// localhost, 127.0.0.0/8, ::1 and ::ffff:127.x.x.x (IPv6 without brackets).
bool isLoopbackHost(const std::string& host);

// "host:port" (IPv6 as "[::1]:7480") or "unix:/run/autonomy-syncd/api.sock".
struct ListenAddress {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;                // TCP: name or address, IPv6 without brackets
  std::uint16_t port = 0;          // TCP: 0 lets the kernel pick a free port
  std::filesystem::path unixPath;  // unix: the socket file

  // Loopback addresses (127.0.0.0/8, ::1, localhost) and unix sockets are reachable only from
  // this node; anything else needs TLS and a token.
  bool isLocalOnly() const;
  std::string str() const;
  bool operator==(const ListenAddress&) const = default;

  // A unix path that is relative is resolved against baseDir.
  static Result<ListenAddress> parse(std::string_view text, const std::filesystem::path& baseDir = {});
};

struct TlsConfig {
  std::filesystem::path certFile;
  std::filesystem::path keyFile;
  bool operator==(const TlsConfig&) const = default;
};

struct ApiConfig {
  std::optional<std::filesystem::path> tokenFile;  // bearer token guarding /v1
  std::optional<TlsConfig> tls;                    // serve HTTPS on TCP listeners
  bool operator==(const ApiConfig&) const = default;
};

struct ConcurrencyConfig {
  std::size_t repos = kDefaultConcurrentRepos;  // repos in flight across all jobs
  std::size_t connectionsPerRegistry = kDefaultConnectionsPerRegistry;
  std::size_t blobsPerRepo = kDefaultBlobsPerRepo;  // blob transfers in flight within one repo
  bool operator==(const ConcurrencyConfig&) const = default;
};

struct RegistryConfig {
  std::string host;  // as written in the config: host[:port]
  bool insecure = false;
  std::optional<std::filesystem::path> certsDir;  // ca.crt, client.cert, client.key
  std::optional<std::filesystem::path> authFile;  // Docker config.json / containers auth.json
  std::optional<std::string> username;            // Basic credentials, with passwordFile
  std::optional<std::filesystem::path> passwordFile;
  std::size_t maxConnections = kDefaultConnectionsPerRegistry;  // concurrency default unless set
  std::uint64_t maxBandwidth = 0;  // bytes/s to and from the host, every job together; 0: no cap
  TransferWindows windows;         // when blob bytes may move to and from the host (UTC); empty: always
  bool operator==(const RegistryConfig&) const = default;
};

// What a schedule (or an API job) gets for the settings it leaves out.
struct Defaults {
  bool copyPolicy = false;
  bool keepGoing = false;
  // Lets a schedule name neither key nor skip_verify and run unverified. Off: fail closed.
  bool skipVerify = false;
  bool operator==(const Defaults&) const = default;
};

struct JobsConfig {
  std::size_t keepFinished = kDefaultKeepFinishedJobs;  // newest finished jobs kept
  std::chrono::days keepDays = kDefaultKeepJobsFor;     // finished jobs older than this are pruned
  bool operator==(const JobsConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  bool operator==(const LogConfig&) const = default;
};

struct Schedule {
  std::string name;
  // Exactly one of every and cron is set.
  std::optional<std::chrono::seconds> every;
  std::optional<CronExpression> cron;
  std::chrono::seconds jitter{0};  // each run starts up to this much later, at random
  std::string from;                // registry hosts, host[:port]
  std::string to;
  std::vector<oci::RepoRef> repos;
  std::vector<oci::RepoSelection> selections;  // tags chosen at A each time it runs
  std::string key;                             // a name in DaemonConfig::keys; empty exactly when skipVerify
  bool skipVerify = false;
  bool copyPolicy = false;
  bool keepGoing = false;
  bool enabled = true;
  TransferWindows windows;  // when its jobs' blob bytes may move (UTC); empty: always
  int line = 0;             // where the schedule starts in the config file, for messages

  // The next run after `t`, before jitter: t + every, or the cron's next minute.
  CronExpression::TimePoint nextRunAfter(CronExpression::TimePoint t) const;
  // "every 30m" or "cron */30 * * * *".
  std::string triggerText() const;
};

// Which job ends a notify target hears about: job-finished (every end), job-succeeded, job-failed
// (failed or partial).
inline constexpr std::string_view kNotifyJobFinished = "job-finished";
inline constexpr std::string_view kNotifyJobSucceeded = "job-succeeded";
inline constexpr std::string_view kNotifyJobFailed = "job-failed";
bool notifyEventMatches(std::string_view event, std::string_view jobState);

// One `notify:` entry: where a CloudEvent goes when a job ends (another daemon's schedule
// trigger, or any webhook).
struct NotifyTarget {
  std::string url;                                 // http:// only for loopback hosts
  std::optional<std::filesystem::path> tokenFile;  // its content is sent as the bearer token
  std::vector<std::string> events{std::string(kNotifyJobFinished)};
  bool operator==(const NotifyTarget&) const = default;
};

struct DaemonConfig {
  std::string source;  // the file it was loaded from, or the name given to loadConfigString
  std::vector<ListenAddress> listen{ListenAddress{ListenAddress::Kind::kTcp, "127.0.0.1", 7480, {}}};
  std::filesystem::path stateDir{std::string(kDefaultStateDir)};
  ApiConfig api;
  ConcurrencyConfig concurrency;
  std::map<std::string, RegistryConfig> registries;   // by host as written
  std::map<std::string, std::filesystem::path> keys;  // key name -> PEM public key file
  // Rekor public keys; when any is set, every verified job needs a log entry one of them signed.
  std::map<std::string, std::filesystem::path> rekorKeys;
  Defaults defaults;
  JobsConfig jobs;
  LogConfig log;
  std::vector<Schedule> schedules;
  std::vector<NotifyTarget> notify;
  // Directories under which API jobs may name layouts and archives (from_layout, to_archive,
  // ...); none by default, so a job can touch no file unless the operator said where.
  std::vector<std::filesystem::path> mediaDirs;
  // Findings that are allowed but worth a log line at startup (e.g. schedules that skip
  // signature verification).
  std::vector<std::string> warnings;

  // The settings for a registry host: its entry, or defaults with the global connection limit.
  RegistryConfig registryFor(std::string_view host) const;
  const Schedule* findSchedule(std::string_view name) const;
  const std::filesystem::path* findKey(std::string_view name) const;
};

// Whether `path` lies inside `dir` (both absolute and normal), compared component-wise:
// /media/usb holds /media/usb/x, not /media/usb2/x, and not /media/usb itself.
bool pathIsUnder(const std::filesystem::path& path, const std::filesystem::path& dir);

// Top-level sections that differ between two configs and that a reload (SIGHUP) does not
// apply: listen, state_dir, api, concurrency, jobs. Schedules, registries, keys, defaults, notify
// and log are reloadable.
std::vector<std::string> restartRequiredChanges(const DaemonConfig& running, const DaemonConfig& loaded);

}  // namespace autonomy::config
