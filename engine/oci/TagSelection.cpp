#include "engine/oci/TagSelection.hpp"

#include <regex.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/core/Printable.hpp"
#include "engine/oci/Reference.hpp"

namespace autonomy::oci {

struct CompiledRegex {
  regex_t re{};
  CompiledRegex() = default;
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;
  ~CompiledRegex() { regfree(&re); }
};

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }
bool allDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isDigit); }

// Version numbers beyond this are refused, so that a bound's "+1" never wraps.
constexpr std::uint64_t kMaxVersionNumber = 999'999'999'999'999ULL;

std::optional<std::uint64_t> number(std::string_view s) {
  if (!allDigits(s) || s.size() > 15 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : s) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n <= kMaxVersionNumber ? std::optional(n) : std::nullopt;
}

std::optional<std::vector<std::string>> prereleaseOf(std::string_view s) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    const auto id = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (id.empty() || !std::all_of(id.begin(), id.end(), isIdentChar)) return std::nullopt;
    if (allDigits(id) && id.size() > 1 && id[0] == '0') return std::nullopt;  // semver.org: no leading zeros
    ids.emplace_back(id);
    if (dot == std::string_view::npos) return ids;
    start = dot + 1;
  }
}

int compareIdentifiers(const std::string& a, const std::string& b) {
  const bool na = allDigits(a);
  const bool nb = allDigits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;  // no leading zeros: longer is larger
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (na != nb) return na ? -1 : 1;  // numeric identifiers rank below alphanumeric ones
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// Natural order: runs of digits compare as numbers, everything else as text.
int compareNatural(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (isDigit(a[i]) && isDigit(b[j])) {
      std::size_t ei = i;
      std::size_t ej = j;
      while (ei < a.size() && isDigit(a[ei])) ++ei;
      while (ej < b.size() && isDigit(b[ej])) ++ej;
      auto ra = a.substr(i, ei - i);
      auto rb = b.substr(j, ej - j);
      while (ra.size() > 1 && ra[0] == '0') ra.remove_prefix(1);
      while (rb.size() > 1 && rb[0] == '0') rb.remove_prefix(1);
      if (ra.size() != rb.size()) return ra.size() < rb.size() ? -1 : 1;
      if (const int c = ra.compare(rb); c != 0) return c < 0 ? -1 : 1;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (a.size() - i == b.size() - j) return 0;
  return a.size() - i < b.size() - j ? -1 : 1;
}

// A version as a range writes it: missing or x/X/* parts are wildcards.
struct Partial {
  std::optional<std::uint64_t> major, minor, patch;
  std::vector<std::string> prerelease;
  bool full() const { return major && minor && patch; }
};

bool isWildcard(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

Result<Partial> parsePartial(std::string_view text, std::string_view whole) {
  const auto bad = [&](const std::string& why) {
    return makeError(ErrorCode::kUsage, "semver range " + quotedText(whole) + ": " + quotedText(text) + " " + why);
  };
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  if (text.empty()) return bad("is not a version (expected e.g. 1.2.3, 1.2, 1.x)");
  Partial p;
  std::string_view rest = text;
  std::string_view pre;
  if (const auto dash = rest.find('-'); dash != std::string_view::npos) {
    pre = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
  }
  std::optional<std::uint64_t>* parts[] = {&p.major, &p.minor, &p.patch};
  std::size_t count = 0;
  bool wild = false;
  std::size_t start = 0;
  while (true) {
    const auto dot = rest.find('.', start);
    const auto part = rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (count == 3) return bad("has more than three parts");
    if (isWildcard(part)) {
      wild = true;
    } else {
      if (wild) return bad("has a number after a wildcard");
      auto n = number(part);
      if (!n) return bad("has a part that is not a number (no leading zeros, at most 15 digits)");
      *parts[count] = *n;
    }
    ++count;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!pre.empty() || text.back() == '-') {
    if (!p.full()) return bad("has a pre-release on a partial version");
    auto ids = prereleaseOf(pre);
    if (!ids) return bad("has a malformed pre-release");
    p.prerelease = std::move(*ids);
  }
  return p;
}

using Comparator = SemverRange::Comparator;
using Op = Comparator::Op;

SemVer lowest(const Partial& p) {
  return SemVer{p.major.value_or(0), p.minor.value_or(0), p.patch.value_or(0), p.prerelease};
}
// The first version past every one the partial covers, as the bound "<X.Y.Z-0".
SemVer pastPartial(const Partial& p) {
  if (!p.minor) return SemVer{*p.major + 1, 0, 0, {"0"}};
  if (!p.patch) return SemVer{*p.major, *p.minor + 1, 0, {"0"}};
  return SemVer{*p.major, *p.minor, *p.patch + 1, {"0"}};
}
Comparator atLeast(SemVer v, bool written) { return {Op::kGreaterEqual, std::move(v), written}; }
Comparator below(SemVer v) { return {Op::kLess, std::move(v), false}; }
// "<0.0.0-0": nothing is below it.
Comparator nothing() { return below(SemVer{0, 0, 0, {"0"}}); }

void addPrimitive(std::vector<Comparator>& out, std::string_view op, const Partial& p) {
  const bool pre = !p.prerelease.empty();
  if (!p.major) {  // *, x: any release; nothing is above or below every version
    if (op == ">" || op == "<")
      out.push_back(nothing());
    else
      out.push_back(atLeast(SemVer{}, false));
    return;
  }
  if (p.full()) {
    const Op o = op == ">"    ? Op::kGreater
                 : op == ">=" ? Op::kGreaterEqual
                 : op == "<"  ? Op::kLess
                 : op == "<=" ? Op::kLessEqual
                              : Op::kEqual;
    out.push_back({o, lowest(p), pre});
    return;
  }
  if (op == ">") {
    auto past = pastPartial(p);
    past.prerelease.clear();
    out.push_back(atLeast(std::move(past), false));
  } else if (op == ">=") {
    out.push_back(atLeast(lowest(p), false));
  } else if (op == "<") {
    auto bound = lowest(p);
    bound.prerelease = {"0"};
    out.push_back(below(std::move(bound)));
  } else if (op == "<=") {
    out.push_back(below(pastPartial(p)));
  } else {  // 1.2 or =1.2: the x-range
    out.push_back(atLeast(lowest(p), false));
    out.push_back(below(pastPartial(p)));
  }
}

void addCaret(std::vector<Comparator>& out, const Partial& p) {
  if (!p.major) return out.push_back(atLeast(SemVer{}, false));
  out.push_back(atLeast(lowest(p), !p.prerelease.empty()));
  if (*p.major > 0 || !p.minor) return out.push_back(below(SemVer{*p.major + 1, 0, 0, {"0"}}));
  if (*p.minor > 0 || !p.patch) return out.push_back(below(SemVer{0, *p.minor + 1, 0, {"0"}}));
  out.push_back(below(SemVer{0, 0, *p.patch + 1, {"0"}}));
}

void addTilde(std::vector<Comparator>& out, const Partial& p) {
  if (!p.major) return out.push_back(atLeast(SemVer{}, false));
  out.push_back(atLeast(lowest(p), !p.prerelease.empty()));
  if (!p.minor) return out.push_back(below(SemVer{*p.major + 1, 0, 0, {"0"}}));
  out.push_back(below(SemVer{*p.major, *p.minor + 1, 0, {"0"}}));
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

Result<std::vector<Comparator>> parseSet(std::string_view set, std::string_view whole) {
  std::vector<Comparator> out;
  auto w = words(set);
  if (w.size() == 3 && w[1] == "-") {  // hyphen range: A - B
    auto lo = parsePartial(w[0], whole);
    if (!lo) return lo.error();
    auto hi = parsePartial(w[2], whole);
    if (!hi) return hi.error();
    out.push_back(atLeast(lowest(*lo), !lo->prerelease.empty()));
    if (hi->full())
      out.push_back({Op::kLessEqual, lowest(*hi), !hi->prerelease.empty()});
    else if (hi->major)
      out.push_back(below(pastPartial(*hi)));
    return out;
  }
  if (w.empty()) {
    out.push_back(atLeast(SemVer{}, false));
    return out;
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::string_view token = w[i];
    std::string_view op;
    for (const std::string_view candidate : {">=", "<=", ">", "<", "=", "^", "~"}) {
      if (token.starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    token.remove_prefix(op.size());
    if (token.empty()) {  // "> 1.2": the operator stands alone
      if (op.empty() || i + 1 == w.size())
        return makeError(ErrorCode::kUsage,
                         "semver range " + quotedText(whole) + ": " + quotedText(w[i]) + " has no version");
      token = w[++i];
    }
    if (token == "-")
      return makeError(ErrorCode::kUsage, "semver range " + quotedText(whole) + ": a hyphen range is A - B");
    auto p = parsePartial(token, whole);
    if (!p) return p.error();
    if (op == "^")
      addCaret(out, *p);
    else if (op == "~")
      addTilde(out, *p);
    else
      addPrimitive(out, op, *p);
  }
  return out;
}

bool satisfies(const Comparator& c, const SemVer& v) {
  const int r = SemVer::compare(v, c.version);
  switch (c.op) {
    case Op::kLess:
      return r < 0;
    case Op::kLessEqual:
      return r <= 0;
    case Op::kGreater:
      return r > 0;
    case Op::kGreaterEqual:
      return r >= 0;
    case Op::kEqual:
      return r == 0;
  }
  return false;
}

}  // namespace

bool isAttachmentTag(std::string_view tag) {
  return tag.starts_with("sha256-") || tag == kLockTag || tag == kPolicyTag;
}

std::optional<SemVer> SemVer::parse(std::string_view text) {
  if (!text.empty() && text[0] == 'v') text.remove_prefix(1);
  std::string_view pre;
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    pre = text.substr(dash + 1);
    if (pre.empty()) return std::nullopt;
    text = text.substr(0, dash);
  }
  SemVer v;
  std::uint64_t* parts[] = {&v.major, &v.minor, &v.patch};
  std::size_t start = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    const auto dot = text.find('.', start);
    if ((k < 2) == (dot == std::string_view::npos)) return std::nullopt;  // exactly three parts
    const auto n = number(text.substr(start, k < 2 ? dot - start : std::string_view::npos));
    if (!n) return std::nullopt;
    *parts[k] = *n;
    start = dot + 1;
  }
  if (!pre.empty()) {
    auto ids = prereleaseOf(pre);
    if (!ids) return std::nullopt;
    v.prerelease = std::move(*ids);
  }
  return v;
}

int SemVer::compare(const SemVer& a, const SemVer& b) {
  for (const auto& [x, y] : {std::pair{a.major, b.major}, std::pair{a.minor, b.minor}, std::pair{a.patch, b.patch}})
    if (x != y) return x < y ? -1 : 1;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    if (a.prerelease.empty() == b.prerelease.empty()) return 0;
    return a.prerelease.empty() ? 1 : -1;  // a release ranks above its pre-releases
  }
  const std::size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < n; ++i)
    if (const int c = compareIdentifiers(a.prerelease[i], b.prerelease[i]); c != 0) return c;
  if (a.prerelease.size() == b.prerelease.size()) return 0;
  return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

Result<SemverRange> SemverRange::parse(std::string_view text) {
  if (text.size() > kMaxSemverRangeLength)
    return makeError(ErrorCode::kUsage, "semver range is " + std::to_string(text.size()) + " characters; at most " +
                                            std::to_string(kMaxSemverRangeLength));
  SemverRange range;
  range.text_ = std::string(text);
  std::size_t start = 0;
  while (true) {
    const auto bar = text.find("||", start);
    auto set = parseSet(text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start), text);
    if (!set) return set.error();
    range.sets_.push_back(std::move(*set));
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return range;
}

bool SemverRange::matches(const SemVer& v) const {
  for (const auto& set : sets_) {
    if (!std::all_of(set.begin(), set.end(), [&](const Comparator& c) { return satisfies(c, v); })) continue;
    if (v.prerelease.empty()) return true;
    // A pre-release only where the range names one of the same release (npm's rule): ^1.2.0
    // must not pick up 1.3.0-rc.1.
    for (const auto& c : set)
      if (c.writtenPrerelease && c.version.major == v.major && c.version.minor == v.minor && c.version.patch == v.patch)
        return true;
  }
  return false;
}

bool newerTag(const std::string& a, const std::string& b) {
  const auto va = SemVer::parse(a);
  const auto vb = SemVer::parse(b);
  if (va && vb) {
    if (const int c = SemVer::compare(*va, *vb); c != 0) return c > 0;
    return a > b;
  }
  if (va || vb) return va.has_value();
  if (const int c = compareNatural(a, b); c != 0) return c > 0;
  return a > b;
}

Result<TagSelector> TagSelector::fromFields(const TagSelectionFields& f) {
  const int given = (f.tags ? 1 : 0) + (f.regex ? 1 : 0) + (f.semver ? 1 : 0) + (f.all ? 1 : 0);
  if (given != 1)
    return fieldError(given == 0 ? "tags" : "all", "give exactly one of tags (a list), tag_regex, semver or all: true");
  Result<TagSelector> out = TagSelector::all();
  if (f.tags) {
    if (f.tags->empty()) return fieldError("tags", "names no tag");
    if (f.tags->size() > kMaxSelectedTags)
      return fieldError(
          "tags", "names " + std::to_string(f.tags->size()) + " tags; at most " + std::to_string(kMaxSelectedTags));
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < f.tags->size(); ++i) {
      const auto& tag = (*f.tags)[i];
      const std::string field = "tags[" + std::to_string(i) + "]";
      if (auto st = validateTag(tag); !st) return fieldError(field, st.error().message);
      if (isAttachmentTag(tag))
        return fieldError(field, quotedText(tag) + " is a signature or sidecar tag, not an image");
      if (!seen.insert(tag).second) return fieldError(field, quotedText(tag) + " is named twice");
    }
    out = TagSelector::list(*f.tags);
  } else if (f.regex) {
    out = TagSelector::regex(*f.regex);
    if (!out) return fieldError("tag_regex", out.error().message);
  } else if (f.semver) {
    out = TagSelector::semver(*f.semver);
    if (!out) return fieldError("semver", out.error().message);
  }
  if (f.keepLatest)
    if (auto st = out->keepLatest(*f.keepLatest); !st) return fieldError("keep_latest", st.error().message);
  return out;
}

TagSelector TagSelector::list(std::vector<std::string> tags) {
  TagSelector s;
  s.kind_ = Kind::kList;
  s.tags_ = std::move(tags);
  return s;
}

Result<TagSelector> TagSelector::regex(std::string pattern) {
  if (pattern.empty()) return makeError(ErrorCode::kUsage, "tag_regex is empty (for every tag, use all)");
  if (pattern.size() > kMaxTagRegexLength)
    return makeError(ErrorCode::kUsage, "tag_regex is " + std::to_string(pattern.size()) + " characters; at most " +
                                            std::to_string(kMaxTagRegexLength));
  auto compiled = std::make_shared<CompiledRegex>();
  if (const int rc = regcomp(&compiled->re, pattern.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
    char why[256];
    regerror(rc, &compiled->re, why, sizeof why);
    regfree(&compiled->re);
    compiled->re = regex_t{};
    return makeError(ErrorCode::kUsage, "tag_regex " + quotedText(pattern) + ": " + why +
                                            " (a POSIX extended regular expression, as grep -E)");
  }
  TagSelector s;
  s.kind_ = Kind::kRegex;
  s.pattern_ = std::move(pattern);
  s.regex_ = std::move(compiled);
  return s;
}

Result<TagSelector> TagSelector::semver(std::string range) {
  auto parsed = SemverRange::parse(range);
  if (!parsed) return parsed.error();
  TagSelector s;
  s.kind_ = Kind::kSemver;
  s.pattern_ = std::move(range);
  s.range_ = std::move(*parsed);
  return s;
}

TagSelector TagSelector::all() { return TagSelector{}; }

Status TagSelector::keepLatest(std::size_t n) {
  if (kind_ == Kind::kList)
    return makeError(ErrorCode::kUsage, "keep_latest goes with tag_regex, semver or all, not a tags list");
  if (n == 0) return makeError(ErrorCode::kUsage, "keep_latest: 0 keeps nothing; use a number from 1");
  keepLatest_ = n;
  return {};
}

std::vector<std::string> TagSelector::select(const std::vector<std::string>& available) const {
  if (kind_ == Kind::kList) return tags_;
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  for (const auto& tag : available) {
    if (isAttachmentTag(tag) || !validateTag(tag) || !seen.insert(tag).second) continue;
    bool match = true;
    if (kind_ == Kind::kRegex) {
      match = regexec(&regex_->re, tag.c_str(), 0, nullptr, 0) == 0;
    } else if (kind_ == Kind::kSemver) {
      const auto v = SemVer::parse(tag);
      match = v && range_->matches(*v);
    }
    if (match) out.push_back(tag);
  }
  std::sort(out.begin(), out.end(), newerTag);
  if (keepLatest_ && out.size() > *keepLatest_) out.resize(*keepLatest_);
  return out;
}

std::string TagSelector::describe() const {
  std::string out;
  switch (kind_) {
    case Kind::kList:
      out = "tags [";
      for (std::size_t i = 0; i < tags_.size(); ++i) out += (i ? ", " : "") + tags_[i];
      out += "]";
      break;
    case Kind::kRegex:
      out = "tag_regex " + quotedText(pattern_);
      break;
    case Kind::kSemver:
      out = "semver " + quotedText(pattern_);
      break;
    case Kind::kAll:
      out = "all tags";
      break;
  }
  if (keepLatest_) out += ", keep_latest " + std::to_string(*keepLatest_);
  return out;
}

Result<RepoSelection> repoSelectionFromJson(const nlohmann::json& j) {
  using nlohmann::json;
  if (!j.is_object()) return fieldError("repo", std::string("a selection is an object, not ") + j.type_name());
  static constexpr std::string_view kKeys[] = {"repo", "tags", "tag_regex", "semver", "all", "keep_latest"};
  for (const auto& [key, value] : j.items())
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      return fieldError(key, "unknown field (expected repo with one of tags, tag_regex, semver, all, and keep_latest)");
  RepoSelection out;
  const auto repo = j.find("repo");
  if (repo == j.end() || !repo->is_string()) return fieldError("repo", "is required: the repository name");
  out.repo = repo->get<std::string>();
  if (auto st = validateRepository(out.repo); !st) return fieldError("repo", st.error().message);
  TagSelectionFields f;
  if (auto it = j.find("tags"); it != j.end()) {
    if (!it->is_array()) return fieldError("tags", std::string("must be a list of tags, not ") + it->type_name());
    f.tags.emplace();  // fromFields bounds how many
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return fieldError("tags[" + std::to_string(i) + "]", "must be a string");
      f.tags->push_back((*it)[i].get<std::string>());
    }
  }
  for (const auto& [key, slot] : {std::pair{"tag_regex", &f.regex}, std::pair{"semver", &f.semver}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_string()) return fieldError(key, std::string("must be a string, not ") + it->type_name());
    *slot = it->get<std::string>();
  }
  if (auto it = j.find("all"); it != j.end()) {
    if (!it->is_boolean() || !it->get<bool>()) return fieldError("all", "is true or left out");
    f.all = true;
  }
  if (auto it = j.find("keep_latest"); it != j.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
      return fieldError("keep_latest", "must be a whole number from 1");
    f.keepLatest = it->get<std::size_t>();
  }
  auto tags = TagSelector::fromFields(f);
  if (!tags) return tags.error();
  out.tags = std::move(*tags);
  return out;
}

nlohmann::json toJson(const RepoSelection& s) {
  nlohmann::json j{{"repo", s.repo}};
  switch (s.tags.kind()) {
    case TagSelector::Kind::kList:
      j["tags"] = s.tags.tags();
      break;
    case TagSelector::Kind::kRegex:
      j["tag_regex"] = s.tags.pattern();
      break;
    case TagSelector::Kind::kSemver:
      j["semver"] = s.tags.pattern();
      break;
    case TagSelector::Kind::kAll:
      j["all"] = true;
      break;
  }
  if (s.tags.latest()) j["keep_latest"] = *s.tags.latest();
  return j;
}

}  // namespace autonomy::oci
