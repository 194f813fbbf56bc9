#include "config/DaemonConfig.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "config/Duration.hpp"

namespace autonomy::config {

namespace {

constexpr std::array<std::string_view, 5> kLogLevelNames{"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kUnixPrefix = "unix:";

Error listenError(std::string_view text, std::string_view detail) {
  return makeError(ErrorCode::kConfig, "\"" + std::string(text) + "\" is not a listen address: " + std::string(detail) +
                                           " (use host:port such as 127.0.0.1:7480, [::1]:7480, or "
                                           "unix:/run/autonomy-syncd/api.sock)");
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool isLoopbackHost(const std::string& host) {
  if (equalsIgnoreCase(host, "localhost")) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0) return true;
    // ::ffff:127.x.x.x, an IPv4 loopback address in IPv6 clothing.
    static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, kMappedPrefix.data(), kMappedPrefix.size()) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string_view logLevelName(LogLevel level) { return kLogLevelNames[static_cast<std::size_t>(level)]; }

std::optional<LogLevel> parseLogLevel(std::string_view name) {
  for (std::size_t i = 0; i < kLogLevelNames.size(); ++i) {
    if (kLogLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

bool ListenAddress::isLocalOnly() const { return kind == Kind::kUnix || isLoopbackHost(host); }

std::string ListenAddress::str() const {
  if (kind == Kind::kUnix) return std::string(kUnixPrefix) + unixPath.string();
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ListenAddress::parse(std::string_view text, const std::filesystem::path& baseDir) {
  ListenAddress out;
  if (text.substr(0, kUnixPrefix.size()) == kUnixPrefix) {
    const auto path = text.substr(kUnixPrefix.size());
    if (path.empty()) return listenError(text, "no socket path after unix:");
    out.kind = Kind::kUnix;
    out.unixPath = std::filesystem::path(path);
    if (out.unixPath.is_relative() && !baseDir.empty()) out.unixPath = baseDir / out.unixPath;
    out.unixPath = out.unixPath.lexically_normal();
    return out;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return listenError(text, "no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view portText = text.substr(colon + 1);
  if (host.empty()) return listenError(text, "no host (0.0.0.0 listens on every IPv4 address)");
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return listenError(text, "unbalanced brackets");
    host = host.substr(1, host.size() - 2);
    in6_addr v6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1)
      return listenError(text, "\"" + std::string(host) + "\" is not an IPv6 address");
  } else if (host.find(':') != std::string_view::npos) {
    return listenError(text, "put an IPv6 address in brackets");
  } else if (!oci::validateRegistryHost(host)) {
    return listenError(text, "\"" + std::string(host) + "\" is not a host name or address");
  }
  if (portText.empty() || portText.size() > 5 ||
      !std::all_of(portText.begin(), portText.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return listenError(text, "the port must be a number from 0 to 65535");
  const unsigned long port = std::stoul(std::string(portText));
  if (port > 65535) return listenError(text, "the port must be a number from 0 to 65535");
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

CronExpression::TimePoint Schedule::nextRunAfter(CronExpression::TimePoint t) const {
  if (cron) return cron->next(t);
  return t + every.value_or(std::chrono::seconds{0});
}

std::string Schedule::triggerText() const {
  if (cron) return "cron " + cron->str();
  return "every " + formatDuration(every.value_or(std::chrono::seconds{0}));
}

RegistryConfig DaemonConfig::registryFor(std::string_view host) const {
  if (const auto it = registries.find(std::string(host)); it != registries.end()) return it->second;
  // Host names are case-insensitive; ports and addresses have no case.
  for (const auto& [name, registry] : registries) {
    if (equalsIgnoreCase(name, host)) return registry;
  }
  RegistryConfig out;
  out.host = std::string(host);
  out.maxConnections = concurrency.connectionsPerRegistry;
  return out;
}

const Schedule* DaemonConfig::findSchedule(std::string_view name) const {
  const auto it = std::find_if(schedules.begin(), schedules.end(), [&](const Schedule& s) { return s.name == name; });
  return it == schedules.end() ? nullptr : &*it;
}

const std::filesystem::path* DaemonConfig::findKey(std::string_view name) const {
  const auto it = keys.find(std::string(name));
  return it == keys.end() ? nullptr : &it->second;
}

bool notifyEventMatches(std::string_view event, std::string_view jobState) {
  if (event == kNotifyJobFinished) return true;
  if (event == kNotifyJobSucceeded) return jobState == "succeeded";
  if (event == kNotifyJobFailed) return jobState == "failed" || jobState == "partial";
  return false;
}

bool pathIsUnder(const std::filesystem::path& path, const std::filesystem::path& dir) {
  auto [d, p] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return d == dir.end() && p != path.end();
}

std::vector<std::string> restartRequiredChanges(const DaemonConfig& running, const DaemonConfig& loaded) {
  std::vector<std::string> changed;
  if (running.listen != loaded.listen) changed.emplace_back("listen");
  if (running.stateDir != loaded.stateDir) changed.emplace_back("state_dir");
  if (running.api != loaded.api) changed.emplace_back("api");
  if (running.concurrency != loaded.concurrency) changed.emplace_back("concurrency");
  if (running.jobs != loaded.jobs) changed.emplace_back("jobs");
  return changed;
}

}  // namespace autonomy::config
