#pragma once
// Standard 5-field cron expressions, as crontab(5) of Vixie cron and cronie reads them.
//
// Times are UTC, not the node's local time zone: fleet nodes are often left on UTC or set
// inconsistently, and a schedule must mean the same instant on every node and never skip or
// repeat a run at a daylight-saving change. "0 3 * * *" fires at 03:00 UTC.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::config {

class CronExpression {
 public:
  using Clock = std::chrono::system_clock;
  using TimePoint = Clock::time_point;

  // "minute hour day-of-month month day-of-week". Each field: `*`, a number, a list `1,15`,
  // a range `1-5`, a step `*/15`, `1-30/2` or `5/15` (5 to the end of the field), month names
  // jan..dec and day names sun..sat (any case), 0 or 7 for Sunday. Also the shorthands @hourly,
  // @daily (@midnight), @weekly, @monthly, @yearly (@annually).
  //
  // Day fields follow Vixie cron: if both day-of-month and day-of-week are restricted (neither
  // starts with `*`), a day matching either fires ("0 0 1 * mon": the 1st and every Monday);
  // otherwise both must match. Expressions that can never fire ("0 0 30 2 *") are rejected.
  static Result<CronExpression> parse(std::string_view text);

  // The first whole minute strictly after `after` that matches (UTC).
  TimePoint next(TimePoint after) const;
  // Whether the minute containing `t` matches (UTC).
  bool matches(TimePoint t) const;

  // The expression as written.
  const std::string& str() const { return text_; }

  bool operator==(const CronExpression& other) const = default;

 private:
  using Minutes = std::chrono::sys_time<std::chrono::minutes>;

  CronExpression() = default;
  bool dayMatches(const std::chrono::year_month_day& date, std::chrono::weekday dayOfWeek) const;
  std::optional<Minutes> search(Minutes from, std::chrono::days horizon) const;

  friend class CronParser;

  std::string text_;
  // Bit n set when value n is selected.
  std::uint64_t minutes_ = 0;      // 0..59
  std::uint64_t hours_ = 0;        // 0..23
  std::uint64_t daysOfMonth_ = 0;  // 1..31
  std::uint64_t months_ = 0;       // 1..12
  std::uint64_t daysOfWeek_ = 0;   // 0..6, Sunday = 0
  // A day field starting with `*` counts as unrestricted for Vixie's either-day rule.
  bool domStar_ = false;
  bool dowStar_ = false;
};

}  // namespace autonomy::config
