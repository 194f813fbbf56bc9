// The progress accounting behind the CLI's live and plain lines.
#include "cli/ConsoleProgress.hpp"

#include <gtest/gtest.h>

namespace autonomy::cli {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

oci::Digest digestOf(const std::string& text) { return oci::Digest::ofBytes(text); }

TEST(ProgressTotals, MountedAndPresentBlobsSettleAtOnceAndSentOnesAsTheyMove) {
  ProgressTotals t;
  t.plan("app", 100 * kMiB);  // a 60 MiB layer to send, a 40 MiB one already at B
  t.done("app", digestOf("present"), 40 * kMiB);
  t.start(digestOf("big"), 60 * kMiB);
  t.add(digestOf("big"), 15 * kMiB);
  const auto line = describeProgress(t, 1.0, true);
  EXPECT_NE(line.find("55.0 MiB of 100.0 MiB (55%)"), std::string::npos) << line;
  EXPECT_NE(line.find("15.0 MiB/s"), std::string::npos) << line;  // the rate counts sent bytes only
  EXPECT_NE(line.find("3s left"), std::string::npos) << line;     // 45 MiB at 15 MiB/s
  EXPECT_NE(line.find("largest in flight " + digestOf("big").hex().substr(0, 12) + " 15.0 MiB/60.0 MiB"),
            std::string::npos)
      << line;
}

TEST(ProgressTotals, RepoThatFailsLeavesThePlan) {
  ProgressTotals t;
  t.plan("ok", 10 * kMiB);
  t.plan("broken", 90 * kMiB);
  t.done("ok", digestOf("a"), 10 * kMiB);
  t.repoFinished("ok");
  t.repoFinished("broken");  // nothing of it settled: its 90 MiB will never move
  const auto line = describeProgress(t, 1.0, true);
  EXPECT_NE(line.find("10.0 MiB of 10.0 MiB (100%)"), std::string::npos) << line;
  EXPECT_EQ(line.find("left"), std::string::npos) << line;
}

TEST(ProgressTotals, UnstartedReposMarkTheTotalAsALowerBound) {
  ProgressTotals t;
  t.plan("first", 10 * kMiB);
  t.start(digestOf("x"), 10 * kMiB);
  t.add(digestOf("x"), 5 * kMiB);
  const auto line = describeProgress(t, 1.0, false);
  EXPECT_NE(line.find("of 10.0 MiB+ (50%)"), std::string::npos) << line;
  EXPECT_NE(line.find("1s+ left"), std::string::npos) << line;
}

TEST(ProgressTotals, WithoutAPlanOnlyBytesAndRateAreShown) {
  ProgressTotals t;
  t.add(oci::Digest{}, 3 * kMiB);
  EXPECT_EQ(describeProgress(t, 2.0, true), "3.0 MiB sent, 1.5 MiB/s");
}

TEST(ProgressTotals, DurationsReadLikeAClock) {
  EXPECT_EQ(humanDuration(4.4), "4s");
  EXPECT_EQ(humanDuration(185), "3m05s");
  EXPECT_EQ(humanDuration(3720), "1h02m");
}

}  // namespace
}  // namespace autonomy::cli
