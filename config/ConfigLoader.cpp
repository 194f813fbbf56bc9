#include "config/ConfigLoader.hpp"

#include "engine/core/ByteRate.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/ScheduleReader.hpp"
#include "config/YamlReader.hpp"

namespace autonomy::config {

namespace {

using detail::childPath;
using detail::Entry;
using detail::findEntry;
using detail::indexPath;
using detail::Located;
using detail::YamlReader;

// Far above any sane config; stops a wrong --config (a log, an image) from being slurped.
constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t{1024} * 1024;
constexpr std::size_t kMaxConcurrency = 1024;

std::string inQuotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// yaml-cpp's words for an unquoted `*/30 * * * *` (an alias) or `@daily` (a reserved character).
std::string syntaxHint(const std::string& message) {
  if (message.find("anchor") == std::string::npos && message.find("unknown token") == std::string::npos) return {};
  return " (quote values that start with *, @ or `, e.g. cron: \"*/30 * * * *\")";
}

// A file the config names, remembered so --check-config can look for it.
struct NamedFile {
  int line;
  std::string keyPath;
  std::filesystem::path path;
  bool directory;
};

// yaml-cpp 0.7 (Debian 12) never returns from LoadAll() on some documents whose root is not a
// block mapping, e.g. one that starts with ',' or a quoted scalar followed by ','. Our root must
// be a block mapping anyway, so the first significant line of each document is checked first.

// "key: value", "key:", "\"quoted key\": value": a block mapping's key line.
bool isKeyLine(std::string_view content) {
  if (std::string_view(",[]{}-?|>&*!@`").find(content.front()) != std::string_view::npos) return false;
  std::size_t i = 0;
  if (content.front() == '"' || content.front() == '\'') {
    const auto close = content.find(content.front(), 1);
    if (close == std::string_view::npos) return false;
    i = close + 1;
    while (i < content.size() && content[i] == ' ') ++i;
    return i < content.size() && content[i] == ':' &&
           (i + 1 == content.size() || content[i + 1] == ' ' || content[i + 1] == '\t' || content[i + 1] == '\r');
  }
  for (; i < content.size(); ++i) {
    if (content[i] == '#' && i > 0 && content[i - 1] == ' ') return false;  // a comment before any ':'
    if (content[i] == ':' && i > 0 &&
        (i + 1 == content.size() || content[i + 1] == ' ' || content[i + 1] == '\t' || content[i + 1] == '\r'))
      return true;
  }
  return false;
}

// The 1-based line of the first document start that is not a key line in a document holding a
// ',' (what the loop needs), or 0. Other roots (a list, a scalar) get yaml-cpp's own message.
int rootNotAMapping(std::string_view text) {
  if (text.find(',') == std::string_view::npos) return 0;
  int line = 0;
  bool expectingRoot = true;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const std::string_view raw = text.substr(pos, end - pos);
    ++line;
    pos = end + 1;
    if (raw.starts_with("---")) {  // a new document
      expectingRoot = true;
      continue;
    }
    const auto first = raw.find_first_not_of(" \t\r");
    if (!expectingRoot || first == std::string_view::npos) continue;
    const std::string_view content = raw.substr(first);
    if (content.front() == '#' || content.front() == '%' || content.starts_with("...") || content == "~") continue;
    if (!isKeyLine(content)) return line;
    expectingRoot = false;
  }
  return 0;
}

// yaml-cpp 0.7 also loops, allocating, on inputs no cheap check foresees (fuzz_config found
// " e:\n&#,"). So the text is first parsed in a child process with a deadline and a memory cap:
// a parser that does not finish costs that child, not the daemon (or its SIGHUP reload).
#if defined(__SANITIZE_ADDRESS__)
#define AUTONOMY_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AUTONOMY_UNDER_ASAN 1
#endif
#endif
constexpr auto kYamlDeadline = std::chrono::seconds(2);
constexpr rlim_t kYamlChildMemory = 256ull << 20;

Status yamlFinishes(const std::string& text) {
  const pid_t pid = ::fork();
  if (pid < 0) return {};  // cannot fork: parse in-process as before
  if (pid == 0) {
#ifndef AUTONOMY_UNDER_ASAN
    const rlimit memory{kYamlChildMemory, kYamlChildMemory};  // (ASan needs its huge shadow mapping)
    ::setrlimit(RLIMIT_AS, &memory);
#endif
    try {
      (void)YAML::LoadAll(text);
    } catch (const YAML::Exception&) {
      ::_exit(0);  // a syntax error: finished, the parent reports it
    } catch (...) {
      ::_exit(3);  // out of memory (the cap) or worse: not finished
    }
    ::_exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + kYamlDeadline;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return makeError(ErrorCode::kConfig,
                       "the YAML parser (yaml-cpp) did not finish on this file within 2 s; "
                       "look for a stray ',' or '&' outside quotes, or simplify the file");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    return makeError(ErrorCode::kConfig,
                     "the YAML parser (yaml-cpp) needed more than 256 MiB for this file; "
                     "look for a stray ',' or '&' outside quotes, or simplify the file");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return makeError(ErrorCode::kConfig, "the YAML parser (yaml-cpp) crashed on this file; simplify it");
  return {};
}

class Loader {
 public:
  Loader(std::string source, std::filesystem::path baseDir, LoadOptions options)
      : reader_(std::move(source), std::move(baseDir)), options_(options) {
    config_.source = reader_.source();
  }

  Result<DaemonConfig> load(std::string_view text) {
    std::vector<YAML::Node> documents;
    if (const int line = rootNotAMapping(text); line > 0) {
      reader_.error(line, "", "the top level must be a mapping of keys (listen:, state_dir:, api:, ...)");
      return makeError(ErrorCode::kConfig, reader_.errorText());
    }
    if (auto st = yamlFinishes(std::string(text)); !st) {
      reader_.error(0, "", st.error().message);
      return makeError(ErrorCode::kConfig, reader_.errorText());
    }
    try {
      documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::ParserException& e) {
      reader_.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg + syntaxHint(e.msg));
    } catch (const YAML::Exception& e) {
      reader_.error(0, "", std::string("invalid YAML: ") + e.what());
    }
    if (documents.size() > 1) {
      reader_.error(detail::lineOf(documents[1]), "", "more than one YAML document; put everything in one");
    } else if (documents.size() == 1 && !documents[0].IsNull()) {
      readTop(Located{documents[0], detail::lineOf(documents[0])});
    }
    checkListeners();
    if (!reader_.failed() && options_.checkFiles) checkFiles();
    if (reader_.failed()) return makeError(ErrorCode::kConfig, reader_.errorText());
    return std::move(config_);
  }

 private:
  // Sections are read in dependency order, not file order: schedules check key names and
  // take defaults, registries take the connection limit.
  void readTop(const Located& root) {
    const auto entries =
        reader_.mapping(root, "",
                        {"listen", "state_dir", "api", "concurrency", "registries", "keys", "rekor_keys", "defaults",
                         "jobs", "log", "schedules", "media_dirs", "notify"});
    if (!entries) return;
    const auto section = [&](std::string_view key, void (Loader::*read)(const Entry&)) {
      if (const Entry* e = findEntry(*entries, key)) (this->*read)(*e);
    };
    section("listen", &Loader::readListen);
    section("state_dir", &Loader::readStateDir);
    section("api", &Loader::readApi);
    section("concurrency", &Loader::readConcurrency);
    section("registries", &Loader::readRegistries);
    section("keys", &Loader::readKeys);
    section("rekor_keys", &Loader::readRekorKeys);
    section("defaults", &Loader::readDefaults);
    section("jobs", &Loader::readJobs);
    section("log", &Loader::readLog);
    section("schedules", &Loader::readSchedules);
    section("media_dirs", &Loader::readMediaDirs);
    section("notify", &Loader::readNotify);
  }

  // Where a CloudEvent goes when a job ends; the next daemon of a chain re-seeds from it.
  void readNotify(const Entry& e) {
    const auto items = reader_.sequence(e.value, "notify");
    if (!items) return;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const std::string path = indexPath("notify", i);
      const auto fields = reader_.mapping((*items)[i], path, {"url", "token_file", "events"});
      if (!fields) continue;
      NotifyTarget target;
      const Entry* url = findEntry(*fields, "url");
      if (!url) {
        reader_.error((*items)[i].line, path,
                      "missing url: (e.g. https://edge-c.local:7480/v1/schedules/from-b/trigger)");
        continue;
      }
      if (auto text = reader_.string(url->value, childPath(path, "url"))) {
        if (auto st = checkNotifyUrl(*text); !st)
          reader_.error(url->value.line, childPath(path, "url"), st.error().message);
        target.url = *text;
      }
      if (const Entry* token = findEntry(*fields, "token_file"))
        target.tokenFile = file(token->value, childPath(path, "token_file"), false);
      if (const Entry* events = findEntry(*fields, "events"))
        readNotifyEvents(*events, childPath(path, "events"), target);
      if (std::any_of(config_.notify.begin(), config_.notify.end(),
                      [&](const NotifyTarget& t) { return t.url == target.url; }))
        reader_.error(url->value.line, childPath(path, "url"), inQuotes(target.url) + " is listed twice");
      config_.notify.push_back(std::move(target));
    }
  }

  void readNotifyEvents(const Entry& e, const std::string& path, NotifyTarget& target) {
    const auto list = reader_.sequence(e.value, path);
    if (!list) return;
    if (list->empty()) {
      reader_.error(e.value.line, path, "needs at least one of job-finished, job-succeeded, job-failed");
      return;
    }
    target.events.clear();
    for (std::size_t k = 0; k < list->size(); ++k) {
      const auto name = reader_.string((*list)[k], indexPath(path, k));
      if (!name) continue;
      if (*name != kNotifyJobFinished && *name != kNotifyJobSucceeded && *name != kNotifyJobFailed) {
        reader_.error((*list)[k].line, indexPath(path, k),
                      inQuotes(*name) + " is not an event (use job-finished, job-succeeded or job-failed)");
        continue;
      }
      target.events.push_back(*name);
    }
  }

  // The token travels with the event, so it needs TLS unless it stays on this node.
  static Status checkNotifyUrl(const std::string& text) {
    const bool plain = text.rfind("http://", 0) == 0;
    if (!plain && text.rfind("https://", 0) != 0)
      return makeError(ErrorCode::kConfig, inQuotes(text) + " is not an http(s):// URL");
    // The authority: what follows the scheme up to the path; the host without port or brackets.
    const std::string rest = text.substr(plain ? 7 : 8);
    const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string host;
    if (!authority.empty() && authority.front() == '[') {
      const auto close = authority.find(']');
      if (close != std::string::npos) host = authority.substr(1, close - 1);
    } else {
      host = authority.substr(0, authority.find(':'));
    }
    if (host.empty() || authority.find_first_of(" @\\") != std::string::npos)
      return makeError(ErrorCode::kConfig, inQuotes(text) + " is not a URL with a host (https://host[:port]/path)");
    if (plain && !isLoopbackHost(host))
      return makeError(ErrorCode::kConfig, inQuotes(text) +
                                               " sends the token in clear to another host; use https:// (the "
                                               "receiving daemon's api.tls)");
    return {};
  }

  // Where API jobs may read and write layouts and archives (removable media, an export area).
  // Not checked for existence: a USB stick's mount point may be empty until it is plugged in.
  void readMediaDirs(const Entry& e) {
    const auto items = reader_.sequence(e.value, "media_dirs");
    if (!items) return;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const std::string path = indexPath("media_dirs", i);
      auto dir = reader_.filePath((*items)[i], path);
      if (!dir) continue;
      auto normal = dir->lexically_normal();
      if (!normal.has_filename()) normal = normal.parent_path();  // "/media/usb/" names /media/usb
      if (normal == normal.root_path()) {
        reader_.error((*items)[i].line, path, "must not be the root directory; name the mount point or export area");
        continue;
      }
      if (std::find(config_.mediaDirs.begin(), config_.mediaDirs.end(), normal) != config_.mediaDirs.end()) {
        reader_.error((*items)[i].line, path, inQuotes(normal.string()) + " is listed twice");
        continue;
      }
      config_.mediaDirs.push_back(std::move(normal));
    }
  }

  void readListen(const Entry& e) {
    listenOrigins_.clear();
    const auto items = reader_.sequence(e.value, "listen");
    if (!items) return;
    if (items->empty()) {
      reader_.error(e.value.line, "listen", "needs at least one address, e.g. [\"127.0.0.1:7480\"]");
      return;
    }
    std::vector<ListenAddress> addresses;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Located& item = (*items)[i];
      const std::string path = indexPath("listen", i);
      const auto text = reader_.string(item, path);
      if (!text) continue;
      auto address = ListenAddress::parse(*text, reader_.baseDir());
      if (!address) {
        reader_.error(item.line, path, address.error().message);
        continue;
      }
      if (std::find(addresses.begin(), addresses.end(), *address) != addresses.end()) {
        reader_.error(item.line, path, inQuotes(*text) + " is listed twice");
        continue;
      }
      addresses.push_back(std::move(*address));
      listenOrigins_.push_back(ListenOrigin{i, item.line});
    }
    config_.listen = std::move(addresses);
  }

  void readStateDir(const Entry& e) {
    if (auto p = reader_.filePath(e.value, "state_dir")) config_.stateDir = std::move(*p);
  }

  void readApi(const Entry& e) {
    const auto entries = reader_.mapping(e.value, "api", {"token_file", "tls"});
    if (!entries) return;
    if (const Entry* token = findEntry(*entries, "token_file")) {
      config_.api.tokenFile = file(token->value, "api.token_file", false);
    }
    if (const Entry* tls = findEntry(*entries, "tls")) {
      const auto fields = reader_.mapping(tls->value, "api.tls", {"cert_file", "key_file"});
      if (!fields) return;
      const Entry* cert = findEntry(*fields, "cert_file");
      const Entry* key = findEntry(*fields, "key_file");
      if (!cert || !key) {
        reader_.error(tls->value.line, "api.tls", "needs both cert_file: and key_file: (PEM files)");
        return;
      }
      auto certFile = file(cert->value, "api.tls.cert_file", false);
      auto keyFile = file(key->value, "api.tls.key_file", false);
      if (certFile && keyFile) config_.api.tls = TlsConfig{std::move(*certFile), std::move(*keyFile)};
    }
  }

  void readConcurrency(const Entry& e) {
    const auto entries =
        reader_.mapping(e.value, "concurrency", {"repos", "connections_per_registry", "blobs_per_repo"});
    if (!entries) return;
    limit(*entries, "concurrency", "repos", config_.concurrency.repos);
    limit(*entries, "concurrency", "connections_per_registry", config_.concurrency.connectionsPerRegistry);
    limit(*entries, "concurrency", "blobs_per_repo", config_.concurrency.blobsPerRepo);
  }

  void readRegistries(const Entry& e) {
    const auto hosts = reader_.mapping(e.value, "registries", {});
    if (!hosts) return;
    for (const Entry& host : *hosts) {
      const std::string path = childPath("registries", host.key);
      if (auto valid = oci::validateRegistryHost(host.key); !valid) {
        reader_.error(host.keyLine, path, valid.error().message);
        continue;
      }
      RegistryConfig registry;
      registry.host = oci::canonicalRegistryHost(host.key);
      registry.maxConnections = config_.concurrency.connectionsPerRegistry;
      if (!host.value.node.IsNull() && !readRegistry(host, path, registry)) continue;
      if (registry.insecure)
        config_.warnings.push_back(reader_.source() + ":" + std::to_string(host.keyLine) + ": registry " + host.key +
                                   " is reached over plain HTTP (insecure: true)");
      if (config_.registries.count(registry.host) > 0) {
        reader_.error(host.keyLine, path, "names the same registry as another entry (host names have no case)");
        continue;
      }
      config_.registries.emplace(registry.host, std::move(registry));
    }
  }

  bool readRegistry(const Entry& host, const std::string& path, RegistryConfig& registry) {
    const auto fields = reader_.mapping(host.value, path,
                                        {"insecure", "certs_dir", "auth_file", "username", "password_file",
                                         "max_connections", "max_bandwidth", "windows"});
    if (!fields) return false;
    const std::size_t errorsBefore = reader_.errorCount();
    if (const Entry* f = findEntry(*fields, "insecure")) {
      registry.insecure = reader_.boolean(f->value, childPath(path, "insecure")).value_or(false);
    }
    if (const Entry* f = findEntry(*fields, "certs_dir"))
      registry.certsDir = file(f->value, childPath(path, "certs_dir"), true);
    if (const Entry* f = findEntry(*fields, "auth_file"))
      registry.authFile = file(f->value, childPath(path, "auth_file"), false);
    if (const Entry* f = findEntry(*fields, "username"))
      registry.username = reader_.string(f->value, childPath(path, "username"));
    if (const Entry* f = findEntry(*fields, "password_file"))
      registry.passwordFile = file(f->value, childPath(path, "password_file"), false);
    limit(*fields, path, "max_connections", registry.maxConnections);
    if (const Entry* f = findEntry(*fields, "max_bandwidth")) {
      const auto at = childPath(path, "max_bandwidth");
      if (const auto text = reader_.string(f->value, at)) {
        const auto rate = parseRate(*text);
        if (!rate)
          reader_.error(f->value.line, at, rate.error().message + " (a rate such as 10MiB/s)");
        else if (*rate == 0)
          reader_.error(f->value.line, at, "0 would move nothing; leave max_bandwidth out for no cap");
        else
          registry.maxBandwidth = *rate;
      }
    }
    if (const Entry* f = findEntry(*fields, "windows")) {
      if (auto windows = detail::readWindows(reader_, f->value, childPath(path, "windows")))
        registry.windows = std::move(*windows);
    }
    const Entry* user = findEntry(*fields, "username");
    const Entry* password = findEntry(*fields, "password_file");
    if ((user == nullptr) != (password == nullptr)) {
      const Entry* present = user ? user : password;
      reader_.error(present->keyLine, path, "username: and password_file: go together; set both or neither");
    } else if (user && findEntry(*fields, "auth_file")) {
      reader_.error(user->keyLine, path, "set auth_file: or username: with password_file:, not both");
    }
    return reader_.errorCount() == errorsBefore;
  }

  void readKeys(const Entry& e) { readKeyFiles(e, "keys", config_.keys); }
  void readRekorKeys(const Entry& e) { readKeyFiles(e, "rekor_keys", config_.rekorKeys); }

  // name -> PEM public key file, as `keys:` and `rekor_keys:` are written.
  void readKeyFiles(const Entry& e, const char* section, std::map<std::string, std::filesystem::path>& out) {
    const auto names = reader_.mapping(e.value, section, {});
    if (!names) return;
    for (const Entry& name : *names) {
      const std::string path = childPath(section, name.key);
      if (!detail::isValidName(name.key)) {
        reader_.error(name.keyLine, path,
                      inQuotes(name.key) + " is not a valid key name: " + std::string(detail::kNameRule));
        continue;
      }
      if (auto p = file(name.value, path, false)) out.emplace(name.key, std::move(*p));
    }
  }

  void readDefaults(const Entry& e) {
    const auto entries = reader_.mapping(e.value, "defaults", {"copy_policy", "keep_going", "skip_verify"});
    if (!entries) return;
    flag(*entries, "defaults", "copy_policy", config_.defaults.copyPolicy);
    flag(*entries, "defaults", "keep_going", config_.defaults.keepGoing);
    flag(*entries, "defaults", "skip_verify", config_.defaults.skipVerify);
    if (config_.defaults.skipVerify)
      config_.warnings.push_back(reader_.source() + ":" + std::to_string(e.keyLine) +
                                 ": defaults.skip_verify is true: schedules without a key copy unverified images");
  }

  void readJobs(const Entry& e) {
    const auto entries = reader_.mapping(e.value, "jobs", {"keep_finished", "keep_days"});
    if (!entries) return;
    if (const Entry* f = findEntry(*entries, "keep_finished")) {
      if (auto n = reader_.count(f->value, "jobs.keep_finished", 1, 1000000)) config_.jobs.keepFinished = *n;
    }
    if (const Entry* f = findEntry(*entries, "keep_days")) {
      if (auto n = reader_.count(f->value, "jobs.keep_days", 1, 36500))
        config_.jobs.keepDays = std::chrono::days{static_cast<std::chrono::days::rep>(*n)};
    }
  }

  void readLog(const Entry& e) {
    const auto entries = reader_.mapping(e.value, "log", {"level"});
    if (!entries) return;
    if (const Entry* f = findEntry(*entries, "level")) {
      const auto name = reader_.string(f->value, "log.level");
      if (!name) return;
      if (const auto level = parseLogLevel(*name)) {
        config_.log.level = *level;
      } else {
        reader_.error(f->value.line, "log.level",
                      inQuotes(*name) + " is not a level (use trace, debug, info, warn or error)");
      }
    }
  }

  void readSchedules(const Entry& e) {
    config_.schedules = detail::readSchedules(reader_, e.value, config_, config_.warnings);
  }

  // A reachable API must not be open: the token guards it and TLS keeps the token secret.
  void checkListeners() {
    for (std::size_t i = 0; i < config_.listen.size(); ++i) {
      const ListenAddress& address = config_.listen[i];
      if (address.isLocalOnly()) continue;
      std::string missing;
      if (!config_.api.tls) missing = "api.tls";
      if (!config_.api.tokenFile) missing += missing.empty() ? "api.token_file" : " and api.token_file";
      if (missing.empty()) continue;
      const ListenOrigin origin = i < listenOrigins_.size() ? listenOrigins_[i] : ListenOrigin{i, 0};
      reader_.error(origin.line, indexPath("listen", origin.index),
                    inQuotes(address.str()) + " is reachable from other hosts, so api.tls and api.token_file are " +
                        "required (missing " + missing + "); or listen on 127.0.0.1 or a unix: socket");
    }
  }

  void checkFiles() {
    for (const NamedFile& f : files_) {
      std::error_code ec;
      const auto status = std::filesystem::status(f.path, ec);
      if (!std::filesystem::exists(status)) {
        reader_.error(f.line, f.keyPath, f.path.string() + " does not exist");
      } else if (f.directory && !std::filesystem::is_directory(status)) {
        reader_.error(f.line, f.keyPath, f.path.string() + " is not a directory");
      } else if (!f.directory && std::filesystem::is_directory(status)) {
        reader_.error(f.line, f.keyPath, f.path.string() + " is a directory, not a file");
      }
    }
  }

  std::optional<std::filesystem::path> file(const Located& at, const std::string& path, bool directory) {
    auto p = reader_.filePath(at, path);
    if (p) files_.push_back(NamedFile{at.line, path, *p, directory});
    return p;
  }

  void flag(const std::vector<Entry>& entries, std::string_view parent, std::string_view key, bool& out) {
    if (const Entry* f = findEntry(entries, key)) {
      if (auto value = reader_.boolean(f->value, childPath(parent, key))) out = *value;
    }
  }

  void limit(const std::vector<Entry>& entries, std::string_view parent, std::string_view key, std::size_t& out) {
    if (const Entry* f = findEntry(entries, key)) {
      if (auto value = reader_.count(f->value, childPath(parent, key), 1, kMaxConcurrency)) out = *value;
    }
  }

  YamlReader reader_;
  LoadOptions options_;
  DaemonConfig config_;
  // Where each config_.listen entry was written (bad entries are left out of config_.listen).
  struct ListenOrigin {
    std::size_t index;
    int line;
  };
  std::vector<ListenOrigin> listenOrigins_;
  std::vector<NamedFile> files_;
};

std::filesystem::path directoryOf(const std::filesystem::path& file) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(file, ec);
  return (ec ? file : absolute).parent_path().lexically_normal();
}

}  // namespace

Result<DaemonConfig> loadConfigString(std::string_view text, std::string_view name, const LoadOptions& options) {
  return Loader(std::string(name), directoryOf(std::filesystem::path(name)), options).load(text);
}

Result<DaemonConfig> loadConfigFile(const std::filesystem::path& path, const LoadOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return makeError(ErrorCode::kConfig, "cannot read config " + path.string() + ": " + ec.message());
  if (size > kMaxConfigBytes)
    return makeError(ErrorCode::kConfig, "config " + path.string() + " is " + std::to_string(size) +
                                             " bytes; that is not a syncd.yaml (limit 1 MiB)");
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open())
    return makeError(ErrorCode::kConfig, "cannot read config " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return Loader(path.string(), directoryOf(path), options).load(text.str());
}

}  // namespace autonomy::config
