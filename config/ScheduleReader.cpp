#include "config/ScheduleReader.hpp"

#include "engine/catalog/SeedRecord.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "config/Duration.hpp"

namespace autonomy::config::detail {

namespace {

constexpr std::size_t kMaxNameLength = 64;

std::string inQuotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool sameHost(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

class ScheduleReader {
 public:
  ScheduleReader(YamlReader& reader, const DaemonConfig& config, std::vector<std::string>& warnings)
      : reader_(reader), config_(config), warnings_(warnings) {}

  std::optional<Schedule> read(const Located& at, const std::string& path) {
    const auto entries = reader_.mapping(at, path,
                                         {"name", "every", "cron", "jitter", "from", "to", "repos", "key",
                                          "skip_verify", "copy_policy", "keep_going", "enabled", "windows"});
    if (!entries) return std::nullopt;
    path_ = path;
    line_ = at.line;
    entries_ = &*entries;
    Schedule s;
    s.line = at.line;
    bool ok = readName(s);
    ok = readTrigger(s) && ok;
    ok = readRegistries(s) && ok;
    ok = readRepos(s) && ok;
    ok = readVerification(s) && ok;
    s.copyPolicy = flag("copy_policy", config_.defaults.copyPolicy, ok);
    s.keepGoing = flag("keep_going", config_.defaults.keepGoing, ok);
    s.enabled = flag("enabled", true, ok);
    if (const Entry* w = get("windows")) {
      auto windows = readWindows(reader_, w->value, childPath(path_, "windows"));
      ok = windows.has_value() && ok;
      if (windows) s.windows = std::move(*windows);
    }
    if (!ok) return std::nullopt;
    return s;
  }

 private:
  const Entry* get(std::string_view key) const { return findEntry(*entries_, key); }
  std::string at(std::string_view key) const { return childPath(path_, key); }

  // A required key's entry, or an error on the schedule's first line.
  const Entry* require(std::string_view key, std::string_view hint) {
    const Entry* e = get(key);
    if (!e) reader_.error(line_, path_, "missing " + std::string(key) + ": (" + std::string(hint) + ")");
    return e;
  }

  bool flag(std::string_view key, bool fallback, bool& ok) {
    const Entry* e = get(key);
    if (!e) return fallback;
    const auto value = reader_.boolean(e->value, at(key));
    ok = value.has_value() && ok;
    return value.value_or(fallback);
  }

  bool readName(Schedule& s) {
    const Entry* e = require("name", "a unique name such as reseed-edge-b");
    if (!e) return false;
    const auto name = reader_.string(e->value, at("name"));
    if (!name) return false;
    if (!isValidName(*name)) {
      reader_.error(e->value.line, at("name"), inQuotes(*name) + " is not a valid name: " + std::string(kNameRule));
      return false;
    }
    if (const auto seen = names_.find(*name); seen != names_.end()) {
      reader_.error(e->value.line, at("name"),
                    inQuotes(*name) + " is already the name of the schedule on line " + std::to_string(seen->second));
      return false;
    }
    names_.emplace(*name, line_);
    s.name = *name;
    return true;
  }

  bool readTrigger(Schedule& s) {
    const Entry* every = get("every");
    const Entry* cron = get("cron");
    if (every && cron) {
      reader_.error(cron->keyLine, at("cron"), "set either every: or cron:, not both");
      return false;
    }
    if (!every && !cron) {
      reader_.error(line_, path_, "missing every: (e.g. 30m) or cron: (e.g. \"*/30 * * * *\")");
      return false;
    }
    if (every) {
      const auto d = reader_.duration(every->value, at("every"));
      if (!d) return false;
      if (d->count() <= 0) {
        reader_.error(every->value.line, at("every"), "must be longer than 0s");
        return false;
      }
      s.every = *d;
    } else {
      const auto text = reader_.string(cron->value, at("cron"));
      if (!text) return false;
      auto parsed = CronExpression::parse(*text);
      if (!parsed) {
        reader_.error(cron->value.line, at("cron"), parsed.error().message);
        return false;
      }
      s.cron = std::move(*parsed);
    }
    if (const Entry* jitter = get("jitter")) {
      const auto d = reader_.duration(jitter->value, at("jitter"));
      if (!d) return false;
      if (s.every && *d >= *s.every) {
        reader_.error(jitter->value.line, at("jitter"),
                      "must be shorter than every: (" + formatDuration(*s.every) + "), or runs would overlap");
        return false;
      }
      s.jitter = *d;
    }
    return true;
  }

  std::optional<std::string> host(std::string_view key) {
    const Entry* e = require(key, "a registry host[:port] such as edge-a.local:5000");
    if (!e) return std::nullopt;
    auto text = reader_.string(e->value, at(key));
    if (!text) return std::nullopt;
    if (auto valid = oci::validateRegistryHost(*text); !valid) {
      reader_.error(e->value.line, at(key), valid.error().message);
      return std::nullopt;
    }
    return oci::canonicalRegistryHost(*text);
  }

  bool readRegistries(Schedule& s) {
    const auto from = host("from");
    const auto to = host("to");
    if (!from || !to) return false;
    if (sameHost(*from, *to)) {
      reader_.error(get("to")->value.line, at("to"), "is the same registry as from: (" + *from + ")");
      return false;
    }
    s.from = *from;
    s.to = *to;
    return true;
  }

  bool readRepos(Schedule& s) {
    const Entry* e = require("repos", "a list such as [robot-behavior:v1, fleet/nav-stack:v2]");
    if (!e) return false;
    const auto items = reader_.sequence(e->value, at("repos"));
    if (!items) return false;
    if (items->empty()) {
      reader_.error(e->value.line, at("repos"), "needs at least one repo");
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Located& item = (*items)[i];
      const std::string itemPath = indexPath(at("repos"), i);
      if (item.node.IsMap()) {  // {repo: fleet/nav, semver: "^1", keep_latest: 3}
        ok = readSelection(item, itemPath, s) && ok;
        continue;
      }
      const auto text = reader_.string(item, itemPath);
      if (!text) {
        ok = false;
        continue;
      }
      auto ref = oci::RepoRef::parse(*text);
      if (!ref) {
        reader_.error(item.line, itemPath, ref.error().message);
        ok = false;
        continue;
      }
      if (auto st = catalog::checkRecordName(ref->repo); !st) {
        reader_.error(item.line, itemPath, st.error().message);
        ok = false;
        continue;
      }
      const auto same = [&](const oci::RepoRef& r) { return r.str() == ref->str(); };
      if (std::any_of(s.repos.begin(), s.repos.end(), same)) {
        reader_.error(item.line, itemPath, ref->str() + " is listed twice");
        ok = false;
        continue;
      }
      s.repos.push_back(std::move(*ref));
    }
    return ok;
  }

  // A repo whose tags are chosen from A's tags/list each time the schedule runs.
  bool readSelection(const Located& item, const std::string& path, Schedule& s) {
    const auto entries = reader_.mapping(item, path, {"repo", "tags", "tag_regex", "semver", "all", "keep_latest"});
    if (!entries) return false;
    const auto lineOfKey = [&](std::string_view key) {
      const Entry* e = findEntry(*entries, key);
      return e ? (e->value.line ? e->value.line : e->keyLine) : item.line;
    };
    const Entry* repoEntry = findEntry(*entries, "repo");
    if (!repoEntry) {
      reader_.error(item.line, path, "missing repo: (the repository whose tags are selected)");
      return false;
    }
    auto repo = reader_.string(repoEntry->value, childPath(path, "repo"));
    if (!repo) return false;
    if (auto st = catalog::checkRecordName(*repo); !st) {
      reader_.error(lineOfKey("repo"), childPath(path, "repo"), st.error().message);
      return false;
    }
    oci::TagSelectionFields f;
    bool ok = true;
    if (const Entry* e = findEntry(*entries, "tags")) {
      const auto list = reader_.sequence(e->value, childPath(path, "tags"));
      if (!list) return false;
      f.tags.emplace();
      for (std::size_t k = 0; k < list->size(); ++k) {
        auto tag = reader_.string((*list)[k], indexPath(childPath(path, "tags"), k));
        if (!tag)
          ok = false;
        else
          f.tags->push_back(*tag);
      }
    }
    for (const auto& [key, slot] : {std::pair{"tag_regex", &f.regex}, std::pair{"semver", &f.semver}}) {
      if (const Entry* e = findEntry(*entries, key)) {
        auto text = reader_.string(e->value, childPath(path, key));
        if (!text)
          ok = false;
        else
          *slot = *text;
      }
    }
    if (const Entry* e = findEntry(*entries, "all")) {
      const auto all = reader_.boolean(e->value, childPath(path, "all"));
      if (!all) return false;
      if (!*all) {
        reader_.error(lineOfKey("all"), childPath(path, "all"), "is true or left out");
        return false;
      }
      f.all = true;
    }
    if (const Entry* e = findEntry(*entries, "keep_latest")) {
      const auto n = reader_.count(e->value, childPath(path, "keep_latest"), 1, oci::kMaxSelectedTags);
      if (!n) return false;
      f.keepLatest = *n;
    }
    if (!ok) return false;
    auto tags = oci::TagSelector::fromFields(f);
    if (!tags) {
      const auto& field = tags.error().field;
      const auto key = field.substr(0, field.find('['));
      reader_.error(lineOfKey(key), childPath(path, key) + field.substr(key.size()), tags.error().problem());
      return false;
    }
    s.selections.push_back({*repo, std::move(*tags)});
    return true;
  }

  bool readVerification(Schedule& s) {
    const Entry* key = get("key");
    const Entry* skip = get("skip_verify");
    std::optional<bool> skipValue;
    if (skip) {
      skipValue = reader_.boolean(skip->value, at("skip_verify"));
      if (!skipValue) return false;
    }
    if (key && skipValue.value_or(false)) {
      reader_.error(skip->keyLine, at("skip_verify"), "set key: or skip_verify: true, not both");
      return false;
    }
    if (key) {
      const auto name = reader_.string(key->value, at("key"));
      if (!name) return false;
      if (!config_.findKey(*name)) {
        std::string known;
        for (const auto& [k, p] : config_.keys) known += (known.empty() ? "" : ", ") + k;
        reader_.error(key->value.line, at("key"),
                      inQuotes(*name) + " is not defined under keys:" +
                          (known.empty() ? std::string(" (none are)") : " (defined: " + known + ")"));
        return false;
      }
      s.key = *name;
      return true;
    }
    if (!skipValue.value_or(config_.defaults.skipVerify)) {
      reader_.error(skip ? skip->value.line : line_, path_,
                    "missing key: (a name from keys:) or skip_verify: true; signatures are checked unless a "
                    "schedule opts out");
      return false;
    }
    s.skipVerify = true;
    warnings_.push_back(reader_.source() + ":" + std::to_string(line_) + ": schedule " + inQuotes(s.name) +
                        " copies without verifying signatures (skip_verify" +
                        (skip ? std::string(")") : std::string(" from defaults)")));
    return true;
  }

  YamlReader& reader_;
  const DaemonConfig& config_;
  std::vector<std::string>& warnings_;
  std::string path_;
  int line_ = 0;
  const std::vector<Entry>* entries_ = nullptr;
  std::map<std::string, int> names_;  // schedule name -> line, across the whole list
};

}  // namespace

bool isValidName(std::string_view name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  return !name.empty() && name.size() <= kMaxNameLength && alnum(name.front()) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::optional<TransferWindows> readWindows(YamlReader& reader, const Located& at, const std::string& path) {
  const auto items = reader.sequence(at, path);
  if (!items) return std::nullopt;
  if (items->empty()) {
    reader.error(at.line, path, "lists no window; leave windows: out to transfer at any time");
    return std::nullopt;
  }
  std::vector<std::string> specs;
  bool ok = true;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string itemPath = indexPath(path, i);
    const auto text = reader.string((*items)[i], itemPath);
    if (!text) {
      ok = false;
      continue;
    }
    // Checked one by one so that the error is on the entry's own line.
    if (auto st = TransferWindows::check(*text); !st) {
      reader.error((*items)[i].line, itemPath, "\"" + *text + "\": " + st.error().message + " (times are UTC)");
      ok = false;
      continue;
    }
    specs.push_back(*text);
  }
  if (!ok) return std::nullopt;
  auto windows = TransferWindows::parse(specs);
  if (!windows) return std::nullopt;  // not reached: each entry parsed above
  return std::move(*windows);
}

std::vector<Schedule> readSchedules(YamlReader& reader, const Located& at, const DaemonConfig& config,
                                    std::vector<std::string>& warnings) {
  std::vector<Schedule> schedules;
  const auto items = reader.sequence(at, "schedules");
  if (!items) return schedules;
  ScheduleReader scheduleReader(reader, config, warnings);
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = indexPath("schedules", i);
    if (auto schedule = scheduleReader.read((*items)[i], path)) schedules.push_back(std::move(*schedule));
  }
  return schedules;
}

}  // namespace autonomy::config::detail
