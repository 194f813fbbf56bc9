#include "config/Duration.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace autonomy;
using namespace autonomy::config;
using std::chrono::seconds;

namespace {
seconds parsed(std::string_view text) {
  auto d = parseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error().message);
  return d.ok() ? *d : seconds{-1};
}
}  // namespace

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parsed("30s"), seconds{30});
  EXPECT_EQ(parsed("5m"), seconds{300});
  EXPECT_EQ(parsed("2h"), seconds{7200});
  EXPECT_EQ(parsed("1d"), seconds{86400});
  EXPECT_EQ(parsed("0s"), seconds{0});
}

TEST(Duration, ParsesCompoundsFromLargestUnitDown) {
  EXPECT_EQ(parsed("1h30m"), seconds{5400});
  EXPECT_EQ(parsed("2m30s"), seconds{150});
  EXPECT_EQ(parsed("1d12h"), seconds{129600});
  EXPECT_EQ(parsed("1d2h3m4s"), seconds{93784});
  EXPECT_EQ(parsed("90m"), seconds{5400});  // a part may exceed the next unit up
  EXPECT_EQ(parsed("007m"), seconds{420});
}

TEST(Duration, RejectsUnknownUnitWithTheDocumentedMessage) {
  auto d = parseDuration("30x");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kConfig);
  EXPECT_EQ(d.error().message, "\"30x\" is not a duration (use e.g. 30s, 5m, 2h)");
}

TEST(Duration, RejectsBareNumbersSayingTheUnitIsMissing) {
  auto d = parseDuration("30");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "\"30\" is not a duration: missing unit after 30 (use e.g. 30s, 5m, 2h)");
}

TEST(Duration, RejectsUnitsOutOfOrderOrRepeated) {
  for (const char* text : {"30m1h", "1h1h", "5s1m", "1m1d"}) {
    auto d = parseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.error().message.find("largest to smallest"), std::string::npos) << d.error().message;
  }
}

TEST(Duration, RejectsMalformedText) {
  for (const char* text :
       {"", "x", "h", "1.5h", "-5m", "+5m", " 5m", "5m ", "5 m", "5M", "5H", "1h 30m", "5ms", "1w", "1hh", "m5"}) {
    auto d = parseDuration(text);
    EXPECT_FALSE(d.ok()) << "'" << text << "'";
    if (!d.ok()) {
      EXPECT_NE(d.error().message.find("is not a duration"), std::string::npos);
    }
  }
}

TEST(Duration, RejectsValuesBeyondACentury) {
  for (const char* text : {"99999999999999999999999s", "36601d", "40000d1h", "9999999999h"}) {
    auto d = parseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.error().message.find("too long"), std::string::npos) << d.error().message;
  }
  EXPECT_TRUE(parseDuration("36500d").ok());
}

TEST(Duration, FormatsTheShortestForm) {
  EXPECT_EQ(formatDuration(seconds{0}), "0s");
  EXPECT_EQ(formatDuration(seconds{30}), "30s");
  EXPECT_EQ(formatDuration(seconds{5400}), "1h30m");
  EXPECT_EQ(formatDuration(seconds{86400}), "1d");
  EXPECT_EQ(formatDuration(seconds{93784}), "1d2h3m4s");
  EXPECT_EQ(formatDuration(seconds{-90}), "-1m30s");
  EXPECT_EQ(formatDuration(seconds::min()).front(), '-');
}

TEST(Duration, FormatThenParseRoundTrips) {
  for (long long s : {1LL, 59LL, 60LL, 61LL, 3599LL, 3600LL, 86399LL, 86401LL, 1234567LL}) {
    EXPECT_EQ(parsed(formatDuration(seconds{s})), seconds{s}) << s;
  }
}
