#pragma once
// Typed, strict reading of yaml-cpp nodes for the config loader. Every problem is recorded
// as "<source>:<line>: <key path>: <what is wrong>" and reading carries on, so one run of
// --check-config lists every error. Internal to the config library.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autonomy::config::detail {

// A value and the 1-based line to blame for it (0 when unknown).
struct Located {
  YAML::Node node;
  int line = 0;
};

// One key of a mapping. `value.line` is the key's line when the value is empty.
struct Entry {
  std::string key;
  int keyLine = 0;
  Located value;
};

int lineOf(const YAML::Node& node);

// "state_dir", "api.tls", "registries[\"edge-a:5000\"]", "schedules[0]".
std::string childPath(std::string_view parent, std::string_view key);
std::string indexPath(std::string_view parent, std::size_t index);

class YamlReader {
 public:
  YamlReader(std::string source, std::filesystem::path baseDir);

  void error(int line, std::string_view path, std::string_view message);
  bool failed() const { return !errors_.empty(); }
  std::size_t errorCount() const { return errors_.size(); }
  // Every error, one per line, in file order.
  std::string errorText() const;
  const std::string& source() const { return source_; }

  // A mapping's entries; duplicate keys are errors, and so are keys outside `allowed` unless
  // `allowed` is empty (maps keyed by the operator, such as registries and keys).
  std::optional<std::vector<Entry>> mapping(const Located& at, std::string_view path,
                                            std::initializer_list<std::string_view> allowed);
  std::optional<std::vector<Located>> sequence(const Located& at, std::string_view path);
  std::optional<std::string> string(const Located& at, std::string_view path);
  std::optional<bool> boolean(const Located& at, std::string_view path);
  std::optional<std::size_t> count(const Located& at, std::string_view path, std::size_t min, std::size_t max);
  // A file or directory name; relative names are taken from the config file's directory.
  std::optional<std::filesystem::path> filePath(const Located& at, std::string_view path);
  std::optional<std::chrono::seconds> duration(const Located& at, std::string_view path);

  std::filesystem::path resolve(const std::filesystem::path& p) const;
  const std::filesystem::path& baseDir() const { return baseDir_; }

 private:
  struct Problem {
    int line;
    std::size_t order;
    std::string text;
  };

  std::optional<std::string> scalar(const Located& at, std::string_view path, std::string_view expected);

  std::string source_;
  std::filesystem::path baseDir_;
  std::vector<Problem> errors_;
};

// Looks up a key among a mapping's entries.
const Entry* findEntry(const std::vector<Entry>& entries, std::string_view key);

}  // namespace autonomy::config::detail
