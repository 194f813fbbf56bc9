#include "config/CronExpression.hpp"

#include <array>
#include <cctype>
#include <span>
#include <vector>

namespace autonomy::config {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  std::span<const std::string_view> names;  // names[i] stands for nameBase + i
  int nameBase;
  std::string_view nameHint;
};

// Day-of-week allows 7 as a second Sunday; it is folded onto 0 when the bits are set.
constexpr std::array<FieldSpec, 5> kFields{{
    {"minute", 0, 59, {}, 0, {}},
    {"hour", 0, 23, {}, 0, {}},
    {"day-of-month", 1, 31, {}, 0, {}},
    {"month", 1, 12, kMonthNames, 1, " or jan..dec"},
    {"day-of-week", 0, 7, kDayNames, 0, " or sun..sat"},
}};

// Every day of the week recurs on every date within one Gregorian cycle of 400 years.
constexpr days kGregorianCycle{146097};

struct Shorthand {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Shorthand, 7> kShorthands{{{"@yearly", "0 0 1 1 *"},
                                                {"@annually", "0 0 1 1 *"},
                                                {"@monthly", "0 0 1 * *"},
                                                {"@weekly", "0 0 * * 0"},
                                                {"@daily", "0 0 * * *"},
                                                {"@midnight", "0 0 * * *"},
                                                {"@hourly", "0 * * * *"}}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

std::vector<std::string_view> splitWhitespace(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

}  // namespace

// Parses one expression; a class so it may fill CronExpression's private fields.
class CronParser {
 public:
  static Result<CronExpression> parse(std::string_view text) {
    CronParser parser;
    std::string_view fields = text;
    const std::string lowered = lower(text);
    for (const Shorthand& s : kShorthands) {
      if (lowered == s.name) fields = s.expansion;
    }
    if (!fields.empty() && fields.front() == '@') return parser.fail(text, "unknown shorthand " + std::string(fields));
    const auto parts = splitWhitespace(fields);
    if (parts.size() != kFields.size())
      return parser.fail(text, "expected 5 fields, got " + std::to_string(parts.size()));

    CronExpression expr;
    expr.text_ = std::string(text);
    std::array<std::uint64_t*, 5> targets{&expr.minutes_, &expr.hours_, &expr.daysOfMonth_, &expr.months_,
                                          &expr.daysOfWeek_};
    for (std::size_t i = 0; i < kFields.size(); ++i) {
      if (!parser.parseField(parts[i], kFields[i], *targets[i])) return parser.fail(text, parser.error_);
    }
    expr.domStar_ = parts[2].front() == '*';
    expr.dowStar_ = parts[4].front() == '*';

    // The calendar repeats every 400 years, so a search over one cycle from any start is final.
    const CronExpression::Minutes epoch{sys_days{year{2000} / January / 1}};
    if (!expr.search(epoch, kGregorianCycle))
      return parser.fail(text, "never matches (no selected month has the selected days)");
    return expr;
  }

 private:
  Error fail(std::string_view text, const std::string& detail) const {
    return makeError(ErrorCode::kConfig, "\"" + std::string(text) + "\" is not a cron expression: " + detail +
                                             " (fields: minute hour day-of-month month day-of-week, "
                                             "e.g. \"*/30 * * * *\")");
  }

  bool parseField(std::string_view field, const FieldSpec& spec, std::uint64_t& bits) {
    for (std::string_view item : split(field, ',')) {
      if (!parseItem(field, item, spec, bits)) return false;
    }
    return true;
  }

  bool parseItem(std::string_view field, std::string_view item, const FieldSpec& spec, std::uint64_t& bits) {
    const std::string where = std::string(spec.name) + " \"" + std::string(field) + "\"";
    if (item.empty()) return setError(where + ": empty list item");
    std::string_view base = item;
    int step = 1;
    bool hasStep = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      const auto stepText = item.substr(slash + 1);
      const auto stepValue = number(stepText);
      if (!stepValue || *stepValue < 1 || *stepValue > spec.max)
        return setError(where + ": step \"" + std::string(stepText) + "\" must be a number from 1 to " +
                        std::to_string(spec.max));
      step = *stepValue;
      hasStep = true;
    }
    // `*` and `5/15` run to the field's end; for day-of-week that is 6, as 7 only repeats Sunday.
    const int fieldEnd = spec.max == 7 ? 6 : spec.max;
    int low = spec.min;
    int high = fieldEnd;
    if (base != "*") {
      const auto dash = base.find('-');
      const auto lowText = base.substr(0, dash);
      const auto lowValue = value(lowText, spec);
      if (!lowValue) return setError(where + ": " + outOfRange(lowText, spec));
      low = *lowValue;
      if (dash != std::string_view::npos) {
        const auto highText = base.substr(dash + 1);
        const auto highValue = value(highText, spec);
        if (!highValue) return setError(where + ": " + outOfRange(highText, spec));
        high = *highValue;
        if (high < low)
          return setError(where + ": range " + std::string(base) + " runs backwards; list it as two parts, " +
                          std::to_string(low) + "-" + std::to_string(fieldEnd) + "," + std::to_string(spec.min) + "-" +
                          std::to_string(high));
      } else if (!hasStep || low > high) {
        high = low;
      }
    }
    for (int v = low; v <= high; v += step) bits |= std::uint64_t{1} << (spec.max == 7 && v == 7 ? 0 : v);
    return true;
  }

  static std::optional<int> number(std::string_view text) {
    if (text.empty() || text.size() > 3) return std::nullopt;
    int out = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      out = out * 10 + (c - '0');
    }
    return out;
  }

  static std::optional<int> value(std::string_view text, const FieldSpec& spec) {
    if (auto n = number(text)) {
      if (*n < spec.min || *n > spec.max) return std::nullopt;
      return n;
    }
    const std::string name = lower(text);
    for (std::size_t i = 0; i < spec.names.size(); ++i) {
      if (spec.names[i] == name) return spec.nameBase + static_cast<int>(i);
    }
    return std::nullopt;
  }

  static std::string outOfRange(std::string_view text, const FieldSpec& spec) {
    return "\"" + std::string(text) + "\" is not a value from " + std::to_string(spec.min) + " to " +
           std::to_string(spec.max) + std::string(spec.nameHint);
  }

  bool setError(std::string message) {
    error_ = std::move(message);
    return false;
  }

  std::string error_;
};

Result<CronExpression> CronExpression::parse(std::string_view text) { return CronParser::parse(text); }

bool CronExpression::dayMatches(const year_month_day& date, weekday dayOfWeek) const {
  const bool dom = (daysOfMonth_ >> static_cast<unsigned>(date.day())) & 1U;
  const bool dow = (daysOfWeek_ >> dayOfWeek.c_encoding()) & 1U;
  return domStar_ || dowStar_ ? dom && dow : dom || dow;
}

std::optional<CronExpression::Minutes> CronExpression::search(Minutes from, days horizon) const {
  sys_days day = floor<days>(from);
  auto firstMinute = static_cast<unsigned>((from - day).count());
  for (days elapsed{0}; elapsed <= horizon; elapsed += days{1}, day += days{1}, firstMinute = 0) {
    const year_month_day date{day};
    if (!((months_ >> static_cast<unsigned>(date.month())) & 1U) || !dayMatches(date, weekday{day})) continue;
    for (unsigned h = firstMinute / 60; h < 24; ++h) {
      if (!((hours_ >> h) & 1U)) continue;
      for (unsigned m = h == firstMinute / 60 ? firstMinute % 60 : 0; m < 60; ++m) {
        if ((minutes_ >> m) & 1U) return Minutes{day} + hours{h} + minutes{m};
      }
    }
  }
  return std::nullopt;
}

CronExpression::TimePoint CronExpression::next(TimePoint after) const {
  const Minutes from = floor<minutes>(after) + minutes{1};
  if (const auto found = search(from, kGregorianCycle)) return *found;
  return TimePoint::max();  // parse() only admits expressions that match within one cycle
}

bool CronExpression::matches(TimePoint t) const {
  const Minutes minute = floor<minutes>(t);
  const sys_days day = floor<days>(minute);
  const auto minuteOfDay = static_cast<unsigned>((minute - day).count());
  const year_month_day date{day};
  return ((minutes_ >> (minuteOfDay % 60)) & 1U) && ((hours_ >> (minuteOfDay / 60)) & 1U) &&
         ((months_ >> static_cast<unsigned>(date.month())) & 1U) && dayMatches(date, weekday{day});
}

}  // namespace autonomy::config
