#include "engine/oci/TagSelection.hpp"

#include <gtest/gtest.h>

namespace autonomy::oci {
namespace {

using Tags = std::vector<std::string>;

const std::string kHex(64, 'a');

// A repo as a fleet's registry holds it: releases, pre-releases, moving tags, CI builds, and
// what cosign and the sidecars add beside the images.
Tags fleetRepo() {
  return {"latest",
          "v1.0.0",
          "v1.1.0",
          "v1.2.0-rc.1",
          "v1.2.0",
          "v1.10.0",
          "v2.0.0-beta.1",
          "v2.0.0-beta.11",
          "v2.0.0-beta.2",
          "v2.0.0",
          "1.25",
          "main",
          "build-9",
          "build-10",
          "sha256-" + kHex,
          "sha256-" + kHex + ".sig",
          "sha256-" + kHex + ".att",
          "autonomy.lock",
          "autonomy.policy"};
}

Tags select(Result<TagSelector> s, const Tags& available = fleetRepo()) {
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? s->select(available) : Tags{};
}

TEST(SemVer, ParsesTagsWithOrWithoutV) {
  auto v = SemVer::parse("v1.2.3-rc.1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->prerelease, (std::vector<std::string>{"rc", "1"}));
  EXPECT_TRUE(SemVer::parse("10.0.0"));
  for (const char* notVersion : {"1.25", "latest", "v1", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "1..3", "", "v"})
    EXPECT_FALSE(SemVer::parse(notVersion)) << notVersion;
}

TEST(SemVer, PrecedenceFollowsSemverOrg) {
  // semver.org §11's example chain, each below the next.
  const Tags chain = {
      "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
      "1.0.0",       "1.0.1",         "1.10.0",           "2.0.0"};
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    EXPECT_LT(SemVer::compare(*SemVer::parse(chain[i]), *SemVer::parse(chain[i + 1])), 0) << chain[i];
    EXPECT_GT(SemVer::compare(*SemVer::parse(chain[i + 1]), *SemVer::parse(chain[i])), 0) << chain[i];
  }
  EXPECT_EQ(SemVer::compare(*SemVer::parse("v1.2.3"), *SemVer::parse("1.2.3")), 0);
}

TEST(SemverRange, CaretTildeXRangesAndHyphens) {
  const auto in = [](const char* range, const char* version) {
    auto r = SemverRange::parse(range);
    EXPECT_TRUE(r.ok()) << range;
    return r.ok() && r->matches(*SemVer::parse(version));
  };
  EXPECT_TRUE(in("^1.2.3", "1.9.0"));
  EXPECT_FALSE(in("^1.2.3", "2.0.0"));
  EXPECT_FALSE(in("^1.2.3", "1.2.2"));
  EXPECT_TRUE(in("^0.2.3", "0.2.9"));
  EXPECT_FALSE(in("^0.2.3", "0.3.0"));
  EXPECT_FALSE(in("^0.0.3", "0.0.4"));
  EXPECT_TRUE(in("~1.2.3", "1.2.9"));
  EXPECT_FALSE(in("~1.2.3", "1.3.0"));
  EXPECT_TRUE(in("~1", "1.9.9"));
  EXPECT_TRUE(in("1.x", "1.4.0"));
  EXPECT_FALSE(in("1.x", "2.0.0"));
  EXPECT_TRUE(in("1.2.*", "1.2.7"));
  EXPECT_TRUE(in("*", "7.0.0"));
  EXPECT_TRUE(in("", "7.0.0"));
  EXPECT_TRUE(in(">=1.2 <2", "1.5.0"));
  EXPECT_FALSE(in(">=1.2 <2", "2.0.0"));
  EXPECT_TRUE(in(">1.2", "1.3.0"));
  EXPECT_FALSE(in(">1.2", "1.2.9"));
  EXPECT_TRUE(in("<=1.2", "1.2.9"));
  EXPECT_FALSE(in("<1.2", "1.2.0"));
  EXPECT_TRUE(in("> 1.0.0", "1.0.1"));
  EXPECT_TRUE(in("1.2 - 1.4", "1.4.5"));
  EXPECT_FALSE(in("1.2 - 1.4", "1.5.0"));
  EXPECT_TRUE(in("1.2.3 - 2.3.4", "2.3.4"));
  EXPECT_TRUE(in("<1.0.0 || >=3", "3.1.0"));
  EXPECT_FALSE(in("<1.0.0 || >=3", "2.0.0"));
  EXPECT_TRUE(in("=1.2.3", "1.2.3"));
  EXPECT_FALSE(in(">*", "1.0.0"));
}

TEST(SemverRange, PreReleasesOnlyWhereTheRangeNamesOne) {
  const auto in = [](const char* range, const char* version) {
    return SemverRange::parse(range)->matches(*SemVer::parse(version));
  };
  EXPECT_FALSE(in("^1.0.0", "1.3.0-rc.1"));  // a later release's candidate is not wanted
  EXPECT_FALSE(in(">=1.0.0", "2.0.0-beta.1"));
  EXPECT_TRUE(in(">=2.0.0-beta.1", "2.0.0-beta.2"));  // the same release, named with a pre-release
  EXPECT_FALSE(in(">=2.0.0-beta.1", "2.1.0-beta.1"));
  EXPECT_TRUE(in(">=2.0.0-beta.1", "2.1.0"));
  EXPECT_FALSE(in("^1.2.3", "2.0.0-rc.1"));  // above the exclusive bound 2.0.0-0
}

TEST(SemverRange, BadRangesSayWhatIsWrong) {
  for (const char* bad : {"^1.2.3.4", "~x.1", ">=", "1.2.3-", "banana", "1.2-rc.1", "^01.2.3", "1 -"}) {
    auto r = SemverRange::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("semver range"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(SemverRange::parse(std::string(300, '1')).ok());
}

TEST(TagSelector, SemverPicksReleasesNewestFirstAndNeverAttachments) {
  EXPECT_EQ(select(TagSelector::semver("^1")), (Tags{"v1.10.0", "v1.2.0", "v1.1.0", "v1.0.0"}));
  EXPECT_EQ(select(TagSelector::semver(">=2.0.0-beta.1")),
            (Tags{"v2.0.0", "v2.0.0-beta.11", "v2.0.0-beta.2", "v2.0.0-beta.1"}));
  EXPECT_EQ(select(TagSelector::semver("*")), (Tags{"v2.0.0", "v1.10.0", "v1.2.0", "v1.1.0", "v1.0.0"}));
}

TEST(TagSelector, KeepLatestKeepsTheHighestVersions) {
  auto s = TagSelector::semver(">=1.0.0");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->keepLatest(2).ok());
  EXPECT_EQ(s->select(fleetRepo()), (Tags{"v2.0.0", "v1.10.0"}));
  auto builds = TagSelector::regex("^build-[0-9]+$");
  ASSERT_TRUE(builds.ok());
  ASSERT_TRUE(builds->keepLatest(1).ok());
  EXPECT_EQ(builds->select(fleetRepo()), (Tags{"build-10"}));  // natural order: 10 above 9
}

TEST(TagSelector, AllIsEveryImageTagVersionsFirst) {
  EXPECT_EQ(select(TagSelector::all()),
            (Tags{"v2.0.0", "v2.0.0-beta.11", "v2.0.0-beta.2", "v2.0.0-beta.1", "v1.10.0", "v1.2.0", "v1.2.0-rc.1",
                  "v1.1.0", "v1.0.0", "main", "latest", "build-10", "build-9", "1.25"}));
}

TEST(TagSelector, RegexIsSearchedAndNeverMatchesCosignOrSidecarTags) {
  EXPECT_EQ(select(TagSelector::regex("^v1\\.")), (Tags{"v1.10.0", "v1.2.0", "v1.2.0-rc.1", "v1.1.0", "v1.0.0"}));
  EXPECT_EQ(select(TagSelector::regex("sig|att|lock|policy|sha256")), Tags{});
  EXPECT_EQ(select(TagSelector::regex("latest")), Tags{"latest"});
  // A pattern that backtracking engines take exponential time over runs in the POSIX engine.
  const Tags as = {std::string(100, 'a')};
  EXPECT_EQ(select(TagSelector::regex("^(a|a)*(a*)*b$"), as), Tags{});
}

TEST(TagSelector, AFixedListIsCopiedAsNamed) {
  auto s = TagSelector::list({"v1.0.0", "missing"});
  EXPECT_FALSE(s.needsListing());
  EXPECT_EQ(s.select({}), (Tags{"v1.0.0", "missing"}));
  EXPECT_FALSE(s.keepLatest(1).ok());
}

TEST(TagSelector, BadSelectorsAreRefusedWithTheReason) {
  auto badRegex = TagSelector::regex("v1[");
  ASSERT_FALSE(badRegex.ok());
  EXPECT_NE(badRegex.error().message.find("tag_regex 'v1['"), std::string::npos) << badRegex.error().message;
  EXPECT_FALSE(TagSelector::regex("").ok());
  EXPECT_FALSE(TagSelector::regex(std::string(300, 'a')).ok());
  auto all = TagSelector::all();
  EXPECT_FALSE(all.keepLatest(0).ok());
}

TEST(TagSelector, DescribeNamesTheRule) {
  auto s = TagSelector::semver("^1");
  ASSERT_TRUE(s->keepLatest(3).ok());
  EXPECT_EQ(s->describe(), "semver '^1', keep_latest 3");
  EXPECT_EQ(TagSelector::list({"a", "b"}).describe(), "tags [a, b]");
}

TEST(NewerTag, VersionsAboveOtherTagsAndNaturalOrderBelow) {
  EXPECT_TRUE(newerTag("v0.0.1", "latest"));
  EXPECT_TRUE(newerTag("build-10", "build-9"));
  EXPECT_TRUE(newerTag("v1.10.0", "v1.9.0"));
  EXPECT_FALSE(newerTag("v1.9.0", "v1.10.0"));
  EXPECT_FALSE(newerTag("a", "a"));
}

}  // namespace
}  // namespace autonomy::oci
