#include "config/YamlReader.hpp"

#include <algorithm>

#include "config/Duration.hpp"

namespace autonomy::config::detail {

namespace {

// Beyond this many errors the rest is noise (often one root cause, such as bad indentation).
constexpr std::size_t kMaxErrors = 50;

bool isPlainKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  return "\"" + node.Scalar() + "\"";
}

// Edit distance, for "did you mean" on misspelt keys.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknownKeyMessage(std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::string message = "unknown key";
  std::string_view best;
  std::size_t bestDistance = 3;  // suggest only close matches
  for (std::string_view candidate : allowed) {
    const std::size_t d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (!best.empty()) return message + " (did you mean " + std::string(best) + "?)";
  message += " (expected one of: ";
  bool first = true;
  for (std::string_view candidate : allowed) {
    message += (first ? "" : ", ") + std::string(candidate);
    first = false;
  }
  return message + ")";
}

}  // namespace

int lineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string childPath(std::string_view parent, std::string_view key) {
  if (!isPlainKey(key)) return std::string(parent) + "[\"" + std::string(key) + "\"]";
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string indexPath(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

const Entry* findEntry(const std::vector<Entry>& entries, std::string_view key) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

YamlReader::YamlReader(std::string source, std::filesystem::path baseDir)
    : source_(std::move(source)), baseDir_(std::move(baseDir)) {}

void YamlReader::error(int line, std::string_view path, std::string_view message) {
  std::string text = source_ + ":";
  if (line > 0) text += std::to_string(line) + ":";
  text += " ";
  if (!path.empty()) text += std::string(path) + ": ";
  text += message;
  errors_.push_back(Problem{line, errors_.size(), std::move(text)});
}

std::string YamlReader::errorText() const {
  std::vector<Problem> sorted = errors_;
  // Cross-checks run after the walk; file order reads better.
  std::stable_sort(sorted.begin(), sorted.end(), [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < kMaxErrors; ++i) out += (i ? "\n" : "") + sorted[i].text;
  if (sorted.size() > kMaxErrors) out += "\n(" + std::to_string(sorted.size() - kMaxErrors) + " more errors)";
  return out;
}

std::optional<std::vector<Entry>> YamlReader::mapping(const Located& at, std::string_view path,
                                                      std::initializer_list<std::string_view> allowed) {
  if (!at.node.IsMap()) {
    error(at.line, path, "expected a mapping of keys, got " + describe(at.node));
    return std::nullopt;
  }
  std::vector<Entry> entries;
  for (const auto& item : at.node) {
    const int keyLine = lineOf(item.first);
    if (!item.first.IsScalar()) {
      error(keyLine, path, "keys must be plain names, got " + describe(item.first));
      continue;
    }
    Entry entry{item.first.Scalar(), keyLine, Located{item.second, lineOf(item.second)}};
    const std::string keyPath = childPath(path, entry.key);
    if (item.second.IsNull() || entry.value.line == 0) entry.value.line = keyLine;
    if (const Entry* earlier = findEntry(entries, entry.key)) {
      error(keyLine, keyPath, "duplicate key (first set on line " + std::to_string(earlier->keyLine) + ")");
      continue;
    }
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      error(keyLine, keyPath, unknownKeyMessage(entry.key, allowed));
      continue;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<std::vector<Located>> YamlReader::sequence(const Located& at, std::string_view path) {
  if (!at.node.IsSequence()) {
    error(at.line, path, "expected a list, got " + describe(at.node));
    return std::nullopt;
  }
  std::vector<Located> items;
  for (const auto& item : at.node) {
    const int line = lineOf(item);
    items.push_back(Located{item, line > 0 ? line : at.line});
  }
  return items;
}

std::optional<std::string> YamlReader::scalar(const Located& at, std::string_view path, std::string_view expected) {
  if (!at.node.IsScalar()) {
    error(at.line, path, "expected " + std::string(expected) + ", got " + describe(at.node));
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::optional<std::string> YamlReader::string(const Located& at, std::string_view path) {
  auto text = scalar(at, path, "a string");
  if (text && text->empty()) {
    error(at.line, path, "must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<bool> YamlReader::boolean(const Located& at, std::string_view path) {
  auto text = scalar(at, path, "true or false");
  if (!text) return std::nullopt;
  // Only YAML 1.2's booleans: "yes", "on" and a quoted "true" are more likely slips than intent.
  if (at.node.Tag() == "?") {
    if (*text == "true" || *text == "True" || *text == "TRUE") return true;
    if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  }
  error(at.line, path, "expected true or false, got " + describe(at.node));
  return std::nullopt;
}

std::optional<std::size_t> YamlReader::count(const Located& at, std::string_view path, std::size_t min,
                                             std::size_t max) {
  auto text = scalar(at, path, "a whole number");
  if (!text) return std::nullopt;
  const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
  const bool digits = at.node.Tag() == "?" && !text->empty() && text->size() <= 18 &&
                      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    error(at.line, path, "expected a whole number" + range + ", got " + describe(at.node));
    return std::nullopt;
  }
  const auto value = static_cast<std::size_t>(std::stoull(*text));
  if (value < min || value > max) {
    error(at.line, path, *text + " is out of range: use a number" + range);
    return std::nullopt;
  }
  return value;
}

std::filesystem::path YamlReader::resolve(const std::filesystem::path& p) const {
  return (p.is_relative() ? baseDir_ / p : p).lexically_normal();
}

std::optional<std::filesystem::path> YamlReader::filePath(const Located& at, std::string_view keyPath) {
  auto text = scalar(at, keyPath, "a path");
  if (text && text->empty()) error(at.line, keyPath, "must not be empty");
  if (!text || text->empty()) return std::nullopt;
  return resolve(*text);
}

std::optional<std::chrono::seconds> YamlReader::duration(const Located& at, std::string_view path) {
  auto text = scalar(at, path, "a duration such as 30s, 5m, 2h");
  if (!text) return std::nullopt;
  auto parsed = parseDuration(*text);
  if (!parsed) {
    error(at.line, path, parsed.error().message);
    return std::nullopt;
  }
  return *parsed;
}

}  // namespace autonomy::config::detail
