#include "config/CronExpression.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

using namespace autonomy::config;
using namespace std::chrono;
using TimePoint = CronExpression::TimePoint;

namespace {

TimePoint utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

std::string iso(TimePoint t) {
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{floor<seconds>(t - day)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()));
  return buf;
}

CronExpression cron(std::string_view text) {
  auto c = CronExpression::parse(text);
  if (!c.ok()) ADD_FAILURE() << text << ": " << c.error().message;
  return c.ok() ? *c : *CronExpression::parse("* * * * *");
}

std::string next(std::string_view text, TimePoint after) { return iso(cron(text).next(after)); }

std::string parseError(std::string_view text) {
  auto c = CronExpression::parse(text);
  if (c.ok()) {
    ADD_FAILURE() << "accepted: " << text;
    return {};
  }
  EXPECT_EQ(c.error().code, autonomy::ErrorCode::kConfig);
  return c.error().message;
}

}  // namespace

TEST(CronExpression, EveryThirtyMinutes) {
  EXPECT_EQ(next("*/30 * * * *", utc(2024, 5, 1, 10, 5)), "2024-05-01 10:30");
  EXPECT_EQ(next("*/30 * * * *", utc(2024, 5, 1, 10, 29, 59)), "2024-05-01 10:30");
  EXPECT_EQ(next("*/30 * * * *", utc(2024, 5, 1, 23, 45)), "2024-05-02 00:00");
}

TEST(CronExpression, NextIsStrictlyAfterEvenOnAMatchingMinute) {
  EXPECT_EQ(next("*/30 * * * *", utc(2024, 5, 1, 10, 30)), "2024-05-01 11:00");
  EXPECT_EQ(next("* * * * *", utc(2024, 5, 1, 10, 0, 30)), "2024-05-01 10:01");
  EXPECT_EQ(next("* * * * *", utc(2024, 5, 1, 10, 0) + nanoseconds{1}), "2024-05-01 10:01");
}

TEST(CronExpression, WeekdayRangeSkipsTheWeekend) {
  // 2024-03-01 is a Friday.
  EXPECT_EQ(next("0 9 * * 1-5", utc(2024, 3, 1, 8, 0)), "2024-03-01 09:00");
  EXPECT_EQ(next("0 9 * * 1-5", utc(2024, 3, 1, 10, 0)), "2024-03-04 09:00");
  EXPECT_EQ(next("0 9 * * mon-fri", utc(2024, 3, 1, 10, 0)), "2024-03-04 09:00");
  EXPECT_EQ(next("0 9 * * MON-FRI", utc(2024, 3, 1, 10, 0)), "2024-03-04 09:00");
}

TEST(CronExpression, SundayIsZeroSevenOrSun) {
  // 2024-03-04 is a Monday; the next Sunday is the 10th.
  for (const char* text : {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * Sun", "0 0 * * 0,7"}) {
    EXPECT_EQ(next(text, utc(2024, 3, 4)), "2024-03-10 00:00") << text;
  }
  EXPECT_EQ(next("0 0 * * 6-7", utc(2024, 3, 4)), "2024-03-09 00:00");
  EXPECT_EQ(next("0 0 * * 6-7", utc(2024, 3, 9, 12)), "2024-03-10 00:00");
  EXPECT_EQ(next("0 0 * * 7/7", utc(2024, 3, 4)), "2024-03-10 00:00");
}

TEST(CronExpression, MonthEndSkipsShortMonths) {
  EXPECT_EQ(next("0 0 31 * *", utc(2024, 4, 1)), "2024-05-31 00:00");
  EXPECT_EQ(next("0 0 31 * *", utc(2024, 5, 31)), "2024-07-31 00:00");
  EXPECT_EQ(next("59 23 30 * *", utc(2024, 2, 1)), "2024-03-30 23:59");
  EXPECT_EQ(next("0 0 31 * *", utc(2024, 12, 31, 0, 1)), "2025-01-31 00:00");
}

TEST(CronExpression, FebruaryTwentyNinthOnlyInLeapYears) {
  EXPECT_EQ(next("0 0 29 2 *", utc(2024, 2, 28, 23, 59)), "2024-02-29 00:00");
  EXPECT_EQ(next("0 0 29 2 *", utc(2024, 3, 1)), "2028-02-29 00:00");
  // 2100 is not a leap year: eight years between leap days.
  EXPECT_EQ(next("0 0 29 2 *", utc(2096, 3, 1)), "2104-02-29 00:00");
  EXPECT_EQ(next("0 0 29 feb *", utc(2023, 1, 1)), "2024-02-29 00:00");
}

TEST(CronExpression, RestrictedDayOfMonthAndWeekMatchEither) {
  // The 13th or any Friday. January 2025: Fridays 3, 10, 17; the 13th is a Monday.
  EXPECT_EQ(next("0 0 13 * 5", utc(2025, 1, 10, 12)), "2025-01-13 00:00");
  EXPECT_EQ(next("0 0 13 * 5", utc(2025, 1, 13)), "2025-01-17 00:00");
  EXPECT_EQ(next("0 0 13 * fri", utc(2025, 1, 1)), "2025-01-03 00:00");
  // The 29th of February or any Monday in February; 2025-02-03 is a Monday.
  EXPECT_EQ(next("0 0 29 2 1", utc(2025, 1, 15)), "2025-02-03 00:00");
}

TEST(CronExpression, DayFieldStartingWithStarCombinesWithAnd) {
  // Vixie cron: "*/2" counts as unrestricted, so odd days that are also Fridays.
  EXPECT_EQ(next("0 0 */2 * 5", utc(2025, 1, 1)), "2025-01-03 00:00");
  EXPECT_EQ(next("0 0 */2 * 5", utc(2025, 1, 3)), "2025-01-17 00:00");
  // Unrestricted day-of-week: only the day of month counts.
  EXPECT_EQ(next("0 0 13 * *", utc(2025, 1, 10)), "2025-01-13 00:00");
  EXPECT_EQ(next("0 0 * * 5", utc(2025, 1, 10, 1)), "2025-01-17 00:00");
}

TEST(CronExpression, ListsRangesAndSteps) {
  const auto c = cron("1-10/3 8,12,18 * * *");
  EXPECT_EQ(iso(c.next(utc(2024, 1, 1, 7, 0))), "2024-01-01 08:01");
  EXPECT_EQ(iso(c.next(utc(2024, 1, 1, 8, 1))), "2024-01-01 08:04");
  EXPECT_EQ(iso(c.next(utc(2024, 1, 1, 8, 10))), "2024-01-01 12:01");
  EXPECT_EQ(iso(c.next(utc(2024, 1, 1, 18, 10))), "2024-01-02 08:01");
  EXPECT_EQ(next("5/15 * * * *", utc(2024, 1, 1, 0, 36)), "2024-01-01 00:50");
  EXPECT_EQ(next("0 0 * * 1/2", utc(2024, 3, 4)), "2024-03-06 00:00");  // 1,3,5: Mon Wed Fri, not Sunday
  EXPECT_EQ(next("0 0 * * 1/2", utc(2024, 3, 8)), "2024-03-11 00:00");
  EXPECT_EQ(next("0,30 * * * *", utc(2024, 1, 1, 0, 0)), "2024-01-01 00:30");
}

TEST(CronExpression, MonthsByNumberAndNameRollOverTheYear) {
  EXPECT_EQ(next("0 0 1 1 *", utc(2024, 6, 1)), "2025-01-01 00:00");
  EXPECT_EQ(next("0 0 1 jan,jul *", utc(2024, 6, 1)), "2024-07-01 00:00");
  EXPECT_EQ(next("0 0 1 JUL-dec/3 *", utc(2024, 7, 1)), "2024-10-01 00:00");
  EXPECT_EQ(next("30 2 * 12 *", utc(2024, 12, 31, 3)), "2025-12-01 02:30");
}

TEST(CronExpression, Shorthands) {
  const auto t = utc(2024, 3, 6, 10, 15);  // a Wednesday
  EXPECT_EQ(next("@hourly", t), "2024-03-06 11:00");
  EXPECT_EQ(next("@daily", t), "2024-03-07 00:00");
  EXPECT_EQ(next("@midnight", t), "2024-03-07 00:00");
  EXPECT_EQ(next("@weekly", t), "2024-03-10 00:00");
  EXPECT_EQ(next("@monthly", t), "2024-04-01 00:00");
  EXPECT_EQ(next("@yearly", t), "2025-01-01 00:00");
  EXPECT_EQ(next("@ANNUALLY", t), "2025-01-01 00:00");
  EXPECT_EQ(cron("@daily").str(), "@daily");
}

TEST(CronExpression, ToleratesExtraWhitespace) {
  EXPECT_EQ(next("  */15\t*  * * *  ", utc(2024, 1, 1, 0, 1)), "2024-01-01 00:15");
}

TEST(CronExpression, MatchesIsTheMinuteTest) {
  const auto c = cron("*/15 9-17 * * mon-fri");
  EXPECT_TRUE(c.matches(utc(2024, 3, 4, 9, 15, 42)));
  EXPECT_FALSE(c.matches(utc(2024, 3, 4, 9, 16)));
  EXPECT_FALSE(c.matches(utc(2024, 3, 3, 9, 15)));  // Sunday
  EXPECT_FALSE(c.matches(utc(2024, 3, 4, 18, 0)));
}

TEST(CronExpression, NextAgreesWithAMinuteByMinuteScan) {
  for (const char* text : {"*/7 */5 * * *", "0 0 13 * 5", "15 3 */3 * 1-5", "59 23 28-31 * *", "0 12 1,15 * sat"}) {
    const auto c = cron(text);
    auto t = utc(2024, 2, 20, 0, 0);
    for (int i = 0; i < 20; ++i) {
      const auto found = c.next(t);
      auto scan = floor<minutes>(t) + minutes{1};
      while (!c.matches(scan) && scan < found) scan += minutes{1};
      ASSERT_EQ(iso(scan), iso(found)) << text << " after " << iso(t);
      t = found;
    }
  }
}

TEST(CronExpression, RejectsWrongFieldCount) {
  EXPECT_NE(parseError("* * * *").find("expected 5 fields, got 4"), std::string::npos);
  EXPECT_NE(parseError("0 * * * * *").find("expected 5 fields, got 6"), std::string::npos);
  EXPECT_NE(parseError("").find("expected 5 fields, got 0"), std::string::npos);
}

TEST(CronExpression, RejectsOutOfRangeValuesNamingTheField) {
  EXPECT_NE(parseError("60 * * * *").find("minute \"60\""), std::string::npos);
  EXPECT_NE(parseError("* 24 * * *").find("hour \"24\""), std::string::npos);
  EXPECT_NE(parseError("* * 0 * *").find("day-of-month \"0\""), std::string::npos);
  EXPECT_NE(parseError("* * 32 * *").find("day-of-month"), std::string::npos);
  EXPECT_NE(parseError("* * * 13 *").find("month \"13\""), std::string::npos);
  EXPECT_NE(parseError("* * * * 8").find("day-of-week \"8\""), std::string::npos);
  EXPECT_NE(parseError("* * * * 8").find("or sun..sat"), std::string::npos);
}

TEST(CronExpression, RejectsMalformedFields) {
  for (const char* text :
       {"*/0 * * * *", "*/61 * * * *", "5-1 * * * *", "a * * * *", "* * * foo *", "1,,2 * * * *", "1, * * * *",
        "-1 * * * *", "? * * * *", "L * * * *", "* * * * mon-sun", "1-2-3 * * * *", "*/ * * * *", "1000 * * * *",
        "* * * jan-feb-mar *", "* * * * monday", "@reboot", "@every 5m", "*/2/3 * * * *"}) {
    const std::string message = parseError(text);
    EXPECT_NE(message.find("is not a cron expression"), std::string::npos) << text << ": " << message;
  }
}

TEST(CronExpression, ExplainsBackwardsRanges) {
  EXPECT_NE(parseError("0 22-2 * * *").find("runs backwards; list it as two parts, 22-23,0-2"), std::string::npos);
}

TEST(CronExpression, RejectsExpressionsThatNeverFire) {
  EXPECT_NE(parseError("0 0 30 2 *").find("never matches"), std::string::npos);
  EXPECT_NE(parseError("0 0 31 4,6,9,11 *").find("never matches"), std::string::npos);
  EXPECT_TRUE(CronExpression::parse("0 0 30 2 1").ok());  // Mondays in February still fire
}

TEST(CronExpression, KeepsTheTextAndComparesByValue) {
  EXPECT_EQ(cron("*/30 * * * *").str(), "*/30 * * * *");
  EXPECT_EQ(cron("0 9 * * 1-5"), cron("0 9 * * 1-5"));
  EXPECT_FALSE(cron("0 9 * * 1-5") == cron("0 9 * * 1-4"));
}
