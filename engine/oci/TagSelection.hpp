#pragma once
// Which tags of a repo a schedule or a job copies, chosen at run time from the source's
// tags/list: a fixed list, a regex, a semver range or every tag, optionally only the newest N
// versions. Tags that are not images (cosign's sha256-<hex>[.sig|.att|.sbom], the referrers
// fallback sha256-<hex>, the autonomy.lock/autonomy.policy sidecars) are never selected.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/Error.hpp"

namespace autonomy::oci {

inline constexpr const char* kLockTag = "autonomy.lock";
inline constexpr const char* kPolicyTag = "autonomy.policy";
inline constexpr std::size_t kMaxTagRegexLength = 256;
inline constexpr std::size_t kMaxSemverRangeLength = 256;

// sha256-<64 hex> with or without a suffix, or a sidecar tag: an attachment, not an image.
bool isAttachmentTag(std::string_view tag);

// A tag_regex is a POSIX extended regular expression (grep -E), searched for in the tag: anchor it
// with ^ and $ to match whole tags.

// A semantic version as a tag spells it: MAJOR.MINOR.PATCH[-PRERELEASE], an optional leading
// 'v'. Tags cannot hold '+', so there is no build metadata; "1.2" is not a version.
struct SemVer {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release

  static std::optional<SemVer> parse(std::string_view text);
  // semver.org precedence: -1, 0, 1.
  static int compare(const SemVer& a, const SemVer& b);
};

// A range in npm's notation: comparators (<, <=, >, >=, =, or none), ^, ~, x-ranges (1.x, 1.2.*,
// *), hyphen ranges (1.2 - 1.4), space for "and", || for "or". A pre-release version matches only
// a comparator set that names a pre-release of the same MAJOR.MINOR.PATCH (as npm does).
class SemverRange {
 public:
  static Result<SemverRange> parse(std::string_view text);
  bool matches(const SemVer& v) const;
  const std::string& text() const { return text_; }

  struct Comparator {
    enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };
    Op op = Op::kGreaterEqual;
    SemVer version;
    bool writtenPrerelease = false;  // the user wrote a pre-release here (not a derived bound)
  };

 private:
  std::string text_;
  std::vector<std::vector<Comparator>> sets_;  // or of ands
};

// Highest version first: semantic versions by precedence, above every other tag; the others in
// natural order (digit runs compared as numbers: build-10 above build-9). Ties by text.
bool newerTag(const std::string& a, const std::string& b);

// A selection as config and API spell it; exactly one of tags, regex, semver and all.
struct TagSelectionFields {
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> regex;   // tag_regex
  std::optional<std::string> semver;  // semver
  bool all = false;
  std::optional<std::size_t> keepLatest;  // keep_latest
};

class TagSelector {
 public:
  // Errors name the field at fault (Error::field: "tags", "tag_regex", "semver", "keep_latest").
  static Result<TagSelector> fromFields(const TagSelectionFields& f);
  enum class Kind { kList, kRegex, kSemver, kAll };

  static TagSelector list(std::vector<std::string> tags);
  static Result<TagSelector> regex(std::string pattern);
  static Result<TagSelector> semver(std::string range);
  static TagSelector all();
  // Only the newest `n` of the matching tags (newerTag); not for a fixed list.
  Status keepLatest(std::size_t n);

  Kind kind() const { return kind_; }
  // A fixed list needs no tags/list: its tags are copied (or fail) as named.
  bool needsListing() const { return kind_ != Kind::kList; }
  // The tags of `available` (a tags/list answer) this selects, newest first for ranked
  // selections, in the given order for a fixed list.
  std::vector<std::string> select(const std::vector<std::string>& available) const;

  // The form config and API take back: {"tags": [...]}, {"tag_regex": "..."}, {"semver": "..."},
  // {"all": true}, each with "keep_latest" when set. One line for logs.
  std::string describe() const;
  const std::vector<std::string>& tags() const { return tags_; }
  const std::string& pattern() const { return pattern_; }
  std::optional<std::size_t> latest() const { return keepLatest_; }

 private:
  Kind kind_ = Kind::kAll;
  std::vector<std::string> tags_;
  std::string pattern_;                                // the regex or the semver range as written
  std::shared_ptr<const struct CompiledRegex> regex_;  // POSIX ERE (no backtracking blow-up)
  std::optional<SemverRange> range_;
  std::optional<std::size_t> keepLatest_;
};

// One repo and the tags of it a job or schedule copies, chosen when the job runs.
struct RepoSelection {
  std::string repo;
  TagSelector tags;
};

inline constexpr std::size_t kMaxSelectedTags = 256;  // per selection and run; narrow it with keep_latest

// {"repo": "fleet/nav", "semver": "^1", "keep_latest": 3}: the form of POST /v1/jobs and of the
// job store. Errors name the field ("repo", "semver", ...) within the object.
Result<RepoSelection> repoSelectionFromJson(const nlohmann::json& j);
nlohmann::json toJson(const RepoSelection& s);

}  // namespace autonomy::oci
