#include <gtest/gtest.h>

#include <string>

#include "tests/unit/config/ConfigTestSupport.hpp"

using namespace autonomy;
using namespace autonomy::config;
using namespace autonomy::config::testing;
using namespace std::chrono;

namespace {

// Line 1-2: keys; the schedule's own keys start on line 4. `fields` are extra schedule lines.
std::string withSchedule(const std::string& fields, const std::string& preamble = "") {
  return "keys:\n  fleet: /etc/autonomy/cosign.pub\nschedules:\n  - name: nightly\n" + fields + preamble;
}

const std::string kRoute = "    from: edge-a.local:5000\n    to: edge-b.local:5000\n    repos: [demo]\n";

}  // namespace

TEST(Schedules, EveryScheduleWithDefaultsApplied) {
  const auto c = loadOk(withSchedule("    every: 1h30m\n" + kRoute + "    key: fleet\n",
                                     "defaults: {copy_policy: true, keep_going: true}\n"));
  ASSERT_EQ(c.schedules.size(), 1u);
  const Schedule& s = c.schedules[0];
  EXPECT_EQ(s.every, seconds{5400});
  EXPECT_FALSE(s.cron);
  EXPECT_EQ(s.jitter, seconds{0});
  EXPECT_EQ(s.repos[0].str(), "demo:latest");
  EXPECT_TRUE(s.copyPolicy);
  EXPECT_TRUE(s.keepGoing);
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.line, 4);
  EXPECT_EQ(s.triggerText(), "every 1h30m");
  const auto t = sys_days{year{2024} / 1 / 1} + hours{1};
  EXPECT_EQ(s.nextRunAfter(t), t + seconds{5400});
  EXPECT_EQ(c.findSchedule("nightly"), &c.schedules[0]);
  EXPECT_EQ(c.findSchedule("daily"), nullptr);
}

TEST(Schedules, ScheduleSettingsOverrideDefaults) {
  const auto c = loadOk(withSchedule("    every: 5m\n" + kRoute +
                                         "    key: fleet\n    copy_policy: false\n"
                                         "    keep_going: false\n    enabled: false\n",
                                     "defaults: {copy_policy: true, keep_going: true}\n"));
  EXPECT_FALSE(c.schedules[0].copyPolicy);
  EXPECT_FALSE(c.schedules[0].keepGoing);
  EXPECT_FALSE(c.schedules[0].enabled);
}

TEST(Schedules, CronSchedule) {
  const auto c = loadOk(withSchedule("    cron: \"0 3 * * mon-fri\"\n    jitter: 10m\n" + kRoute + "    key: fleet\n"));
  const Schedule& s = c.schedules[0];
  ASSERT_TRUE(s.cron);
  EXPECT_FALSE(s.every);
  EXPECT_EQ(s.jitter, minutes{10});
  EXPECT_EQ(s.triggerText(), "cron 0 3 * * mon-fri");
  // 2024-03-01 is a Friday: next weekday 03:00 UTC is Monday the 4th.
  EXPECT_EQ(s.nextRunAfter(sys_days{year{2024} / 3 / 1} + hours{4}), sys_days{year{2024} / 3 / 4} + hours{3});
}

TEST(Schedules, BadDurationIsReportedWithFileLineAndPath) {
  EXPECT_EQ(loadError(withSchedule("    every: 30x\n" + kRoute + "    key: fleet\n")),
            at(5, "schedules[0].every: \"30x\" is not a duration (use e.g. 30s, 5m, 2h)"));
  EXPECT_EQ(loadError(withSchedule("    every: 0s\n" + kRoute + "    key: fleet\n")),
            at(5, "schedules[0].every: must be longer than 0s"));
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n    jitter: soon\n" + kRoute + "    key: fleet\n")),
            at(6, "schedules[0].jitter: \"soon\" is not a duration (use e.g. 30s, 5m, 2h)"));
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n    jitter: 5m\n" + kRoute + "    key: fleet\n")),
            at(6, "schedules[0].jitter: must be shorter than every: (5m), or runs would overlap"));
  EXPECT_EQ(loadError(withSchedule("    every: [5m]\n" + kRoute + "    key: fleet\n")),
            at(5, "schedules[0].every: expected a duration such as 30s, 5m, 2h, got a list"));
}

TEST(Schedules, BadCronIsReportedWithFileLineAndPath) {
  const auto message = loadError(withSchedule("    cron: \"61 * * * *\"\n" + kRoute + "    key: fleet\n"));
  EXPECT_EQ(message.rfind(at(5, "schedules[0].cron: \"61 * * * *\" is not a cron expression: minute \"61\""), 0), 0u)
      << message;
  EXPECT_TRUE(
      contains(loadError(withSchedule("    cron: 0 0 30 2 *\n" + kRoute + "    key: fleet\n")), "never matches"));
}

TEST(Schedules, UnquotedCronGetsAQuotingHint) {
  EXPECT_EQ(loadError(withSchedule("    cron: */30 * * * *\n" + kRoute + "    key: fleet\n")),
            at(5,
               "invalid YAML: the referenced anchor is not defined (quote values that start with *, @ or `, e.g. "
               "cron: \"*/30 * * * *\")"));
  EXPECT_TRUE(contains(loadError(withSchedule("    cron: @daily\n" + kRoute + "    key: fleet\n")), "quote values"));
  EXPECT_TRUE(loadOk(withSchedule("    cron: \"@daily\"\n" + kRoute + "    key: fleet\n")).schedules[0].cron);
}

TEST(Schedules, ExactlyOneOfEveryAndCron) {
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n    cron: \"* * * * *\"\n" + kRoute + "    key: fleet\n")),
            at(6, "schedules[0].cron: set either every: or cron:, not both"));
  EXPECT_EQ(loadError(withSchedule(kRoute + "    key: fleet\n")),
            at(4, "schedules[0]: missing every: (e.g. 30m) or cron: (e.g. \"*/30 * * * *\")"));
}

TEST(Schedules, RequiredKeysAreNamed) {
  const auto message = loadError("schedules:\n  - every: 5m\n    skip_verify: true\n");
  EXPECT_TRUE(contains(message, at(2, "schedules[0]: missing name: (a unique name such as reseed-edge-b)")));
  EXPECT_TRUE(contains(message, at(2, "schedules[0]: missing from: (a registry host[:port]")));
  EXPECT_TRUE(contains(message, at(2, "schedules[0]: missing to: (a registry host[:port]")));
  EXPECT_TRUE(contains(message, at(2, "schedules[0]: missing repos: (a list such as")));
}

TEST(Schedules, NamesAreValidAndUnique) {
  EXPECT_TRUE(
      contains(loadError("schedules:\n  - name: \"re seed\"\n    every: 5m\n" + kRoute + "    skip_verify: true\n"),
               at(2, "schedules[0].name: \"re seed\" is not a valid name")));
  const std::string one = "    every: 5m\n" + kRoute + "    skip_verify: true\n";
  EXPECT_EQ(loadError("schedules:\n  - name: a\n" + one + "  - name: b\n" + one + "  - name: a\n" + one),
            at(14, "schedules[2].name: \"a\" is already the name of the schedule on line 2"));
}

TEST(Schedules, RegistryHostsAreCheckedAndDistinct) {
  EXPECT_TRUE(
      contains(loadError(withSchedule("    every: 5m\n    from: https://edge-a\n    to: edge-b\n    repos: [demo]\n"
                                      "    key: fleet\n")),
               at(6, "schedules[0].from: invalid registry host 'https://edge-a'")));
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n    from: edge-a:5000\n    to: EDGE-A:5000\n    repos: [demo]\n"
                                   "    key: fleet\n")),
            at(7, "schedules[0].to: is the same registry as from: (edge-a:5000)"));
}

TEST(Schedules, ReposAreValidatedOneByOne) {
  const std::string head = "    every: 5m\n    from: a:1\n    to: b:1\n";
  const auto message = loadError(withSchedule(head + "    repos:\n      - ok/repo:v1\n      - Bad/Repo\n      - x:-y\n"
                                                     "      - ok/repo:v1\n    key: fleet\n"));
  EXPECT_TRUE(contains(message, at(10, "schedules[0].repos[1]: invalid repository name 'Bad/Repo'"))) << message;
  EXPECT_TRUE(contains(message, at(11, "schedules[0].repos[2]: reference 'x:-y': invalid tag '-y'"))) << message;
  EXPECT_TRUE(contains(message, at(12, "schedules[0].repos[3]: ok/repo:v1 is listed twice"))) << message;
  EXPECT_EQ(loadError(withSchedule(head + "    repos: []\n    key: fleet\n")),
            at(8, "schedules[0].repos: needs at least one repo"));
  EXPECT_EQ(loadError(withSchedule(head + "    repos: demo\n    key: fleet\n")),
            at(8, "schedules[0].repos: expected a list, got \"demo\""));
  const std::string digest = "sha256:" + std::string(64, 'a');
  const auto c =
      loadOk(withSchedule(head + "    repos: [\"demo@" + digest + "\", fleet/nav-stack:v2]\n    key: fleet\n"));
  EXPECT_EQ(c.schedules[0].repos[0].reference(), digest);
  EXPECT_EQ(c.schedules[0].repos[1].tag, "v2");
}

TEST(Schedules, KeyMustBeDefinedEvenWhenKeysComeLater) {
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n" + kRoute + "    key: fleet2\n")),
            at(9, "schedules[0].key: \"fleet2\" is not defined under keys: (defined: fleet)"));
  EXPECT_EQ(loadError("schedules:\n  - name: a\n    every: 5m\n" + kRoute + "    key: fleet\n"),
            at(7, "schedules[0].key: \"fleet\" is not defined under keys: (none are)"));
  const auto c = loadOk("schedules:\n  - name: a\n    every: 5m\n" + kRoute + "    key: late\nkeys: {late: /k.pub}\n");
  EXPECT_EQ(c.schedules[0].key, "late");
}

TEST(Schedules, VerificationIsExactlyOneOfKeyAndSkipVerify) {
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n" + kRoute + "    key: fleet\n    skip_verify: true\n")),
            at(10, "schedules[0].skip_verify: set key: or skip_verify: true, not both"));
  const std::string missing =
      "schedules[0]: missing key: (a name from keys:) or skip_verify: true; signatures are checked unless a schedule "
      "opts out";
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n" + kRoute)), at(4, missing));
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n" + kRoute + "    skip_verify: false\n")), at(9, missing));
  EXPECT_TRUE(contains(loadError(withSchedule("    every: 5m\n" + kRoute + "    skip_verify: 1\n")),
                       "schedules[0].skip_verify: expected true or false, got \"1\""));
  // An explicit false next to a key is just "verify".
  EXPECT_EQ(
      loadOk(withSchedule("    every: 5m\n" + kRoute + "    key: fleet\n    skip_verify: false\n")).schedules[0].key,
      "fleet");
}

TEST(Schedules, SkippingVerificationIsAllowedButWarned) {
  const auto c = loadOk(withSchedule("    every: 5m\n" + kRoute + "    skip_verify: true\n"));
  EXPECT_TRUE(c.schedules[0].skipVerify);
  EXPECT_TRUE(c.schedules[0].key.empty());
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], at(4, "schedule \"nightly\" copies without verifying signatures (skip_verify)"));
}

TEST(Schedules, DefaultsSkipVerifyCoversSchedulesWithoutAKey) {
  const auto c = loadOk(withSchedule("    every: 5m\n" + kRoute, "defaults: {skip_verify: true}\n"));
  EXPECT_TRUE(c.schedules[0].skipVerify);
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_TRUE(contains(c.warnings[1], "(skip_verify from defaults)"));
  // An explicit false still demands a key.
  EXPECT_TRUE(contains(loadError(withSchedule("    every: 5m\n" + kRoute + "    skip_verify: false\n",
                                              "defaults: {skip_verify: true}\n")),
                       "missing key:"));
}

TEST(Schedules, UnknownKeysAndWrongShapes) {
  EXPECT_EQ(loadError(withSchedule("    every: 5m\n" + kRoute + "    key: fleet\n    keep-going: true\n")),
            at(10, "schedules[0].keep-going: unknown key (did you mean keep_going?)"));
  EXPECT_EQ(loadError("schedules: {name: a}\n"), at(1, "schedules: expected a list, got a mapping"));
  EXPECT_EQ(loadError("schedules:\n  - nightly\n"), at(2, "schedules[0]: expected a mapping of keys, got \"nightly\""));
  EXPECT_TRUE(loadOk("schedules: []\n").schedules.empty());
}

TEST(Schedules, OneBadScheduleDoesNotHideAnother) {
  const auto message = loadError("keys: {fleet: /k}\nschedules:\n  - name: a\n    every: 1x\n" + kRoute +
                                 "    key: fleet\n"
                                 "  - name: b\n    every: 5m\n" +
                                 kRoute + "    key: nope\n");
  EXPECT_TRUE(contains(message, at(4, "schedules[0].every:"))) << message;
  EXPECT_TRUE(contains(message, at(14, "schedules[1].key: \"nope\""))) << message;
}

TEST(Schedules, ARepoMayBeATagSelection) {
  const std::string head = "    every: 5m\n    from: a:1\n    to: b:1\n";
  const auto c = loadOk(withSchedule(head + "    repos:\n      - fleet/nav:v1\n"
                                            "      - {repo: fleet/nav, semver: \">=1.2 <2\", keep_latest: 2}\n"
                                            "      - repo: fleet/map\n        tags: [stable, v3]\n"
                                            "    key: fleet\n"));
  const Schedule& s = c.schedules[0];
  ASSERT_EQ(s.repos.size(), 1u);
  ASSERT_EQ(s.selections.size(), 2u);
  EXPECT_EQ(s.selections[0].repo, "fleet/nav");
  EXPECT_EQ(s.selections[0].tags.describe(), "semver '>=1.2 <2', keep_latest 2");
  EXPECT_EQ(s.selections[1].tags.describe(), "tags [stable, v3]");
}

TEST(Schedules, BadSelectionsAreReportedWithLineAndPath) {
  const std::string head = "    every: 5m\n    from: a:1\n    to: b:1\n    repos:\n";
  const auto message = loadError(withSchedule(head + "      - {repo: a, semver: banana}\n"
                                                     "      - {repo: b, all: true, keep_latest: 0}\n"
                                                     "      - {repo: c, tag_regex: \"v1[\"}\n"
                                                     "      - {repo: d}\n"
                                                     "      - {repo: e, tags: [v1, sha256-abc]}\n"
                                                     "      - {semver: \"^1\"}\n"
                                                     "    key: fleet\n"));
  EXPECT_TRUE(contains(message, at(9, "schedules[0].repos[0].semver: semver range 'banana'"))) << message;
  EXPECT_TRUE(contains(message, at(10, "schedules[0].repos[1].keep_latest: "))) << message;
  EXPECT_TRUE(contains(message, at(11, "schedules[0].repos[2].tag_regex: tag_regex 'v1['"))) << message;
  EXPECT_TRUE(contains(message, at(12, "schedules[0].repos[3].tags: give exactly one of"))) << message;
  EXPECT_TRUE(contains(message, at(13, "schedules[0].repos[4].tags[1]: 'sha256-abc' is a signature or sidecar tag")))
      << message;
  EXPECT_TRUE(contains(message, at(14, "schedules[0].repos[5]: missing repo:"))) << message;
}

TEST(Schedules, WindowsAreCheckedEntryByEntry) {
  const auto c = loadOk(withSchedule("    every: 1h\n" + kRoute + "    key: fleet\n" +
                                     "    windows: [\"01:00-05:00\", \"Sat,Sun 00:00-24:00\"]\n"));
  EXPECT_EQ(c.schedules[0].windows.specs(), (std::vector<std::string>{"01:00-05:00", "Sat,Sun 00:00-24:00"}));
  EXPECT_TRUE(loadOk(withSchedule("    every: 1h\n" + kRoute + "    key: fleet\n")).schedules[0].windows.alwaysOpen());
  EXPECT_EQ(loadError(withSchedule("    every: 1h\n" + kRoute + "    key: fleet\n" +
                                   "    windows:\n      - 01:00-05:00\n      - 25:00-06:00\n")),
            at(12,
               "schedules[0].windows[1]: \"25:00-06:00\": \"25:00\" is not a time of day (HH:MM, 00:00 to "
               "23:59) (times are UTC)"));
  EXPECT_TRUE(contains(loadError(withSchedule("    every: 1h\n" + kRoute + "    key: fleet\n    windows: []\n")),
                       at(10, "schedules[0].windows: lists no window; leave windows: out to transfer at any time")));
}
