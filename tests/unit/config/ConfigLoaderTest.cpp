#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "config/ConfigLoader.hpp"
#include "tests/unit/config/ConfigTestSupport.hpp"

using namespace autonomy;
using namespace autonomy::config;
using namespace autonomy::config::testing;

namespace {

// SPEC section 5's example, verbatim.
constexpr std::string_view kSpecExample =
    R"(listen: ["127.0.0.1:7480"]            # host:port, or unix:/run/autonomy-syncd/api.sock
state_dir: /var/lib/autonomy-syncd
api:
  token_file: /etc/autonomy/syncd.token
  tls: {cert_file: /etc/autonomy/tls.crt, key_file: /etc/autonomy/tls.key}   # optional
concurrency: {repos: 4, connections_per_registry: 8}
registries:
  "edge-a.local:5000": {insecure: false, certs_dir: /etc/containers/certs.d/edge-a.local:5000,
                        auth_file: /etc/autonomy/auth.json, max_connections: 8}
keys:
  fleet: /etc/autonomy/cosign.pub
jobs: {keep_finished: 500, keep_days: 30}
schedules:
  - name: reseed-edge-b
    every: 30m                        # or cron: "*/30 * * * *"
    jitter: 2m
    from: edge-a.local:5000
    to: edge-b.local:5000
    repos: [robot-behavior:v1, fleet/nav-stack:v2]
    key: fleet                        # or skip_verify: true
    copy_policy: true
    keep_going: true
)";

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("config-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    auto p = path_ / name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST(ConfigLoader, EmptyFileMeansAllDefaults) {
  for (const char* text : {"", "# nothing yet\n", "---\n", "~\n"}) {
    const auto c = loadOk(text);
    ASSERT_EQ(c.listen.size(), 1u) << text;
    EXPECT_EQ(c.listen[0].str(), "127.0.0.1:7480");
    EXPECT_EQ(c.stateDir, "/var/lib/autonomy-syncd");
    EXPECT_EQ(c.concurrency.repos, 4u);
    EXPECT_EQ(c.concurrency.connectionsPerRegistry, 8u);
    EXPECT_EQ(c.concurrency.blobsPerRepo, 4u);
    EXPECT_EQ(c.jobs.keepFinished, 500u);
    EXPECT_EQ(c.jobs.keepDays, std::chrono::days{30});
    EXPECT_EQ(c.log.level, LogLevel::kInfo);
    EXPECT_FALSE(c.api.tokenFile);
    EXPECT_FALSE(c.api.tls);
    EXPECT_FALSE(c.defaults.copyPolicy || c.defaults.keepGoing || c.defaults.skipVerify);
    EXPECT_TRUE(c.schedules.empty() && c.registries.empty() && c.keys.empty() && c.warnings.empty());
    EXPECT_EQ(c.source, kConfigName);
  }
}

TEST(ConfigLoader, LoadsTheSpecExample) {
  const auto c = loadOk(kSpecExample);
  EXPECT_EQ(c.api.tokenFile, std::filesystem::path("/etc/autonomy/syncd.token"));
  ASSERT_TRUE(c.api.tls);
  EXPECT_EQ(c.api.tls->certFile, "/etc/autonomy/tls.crt");
  EXPECT_EQ(c.api.tls->keyFile, "/etc/autonomy/tls.key");
  const auto& edgeA = c.registries.at("edge-a.local:5000");
  EXPECT_FALSE(edgeA.insecure);
  EXPECT_EQ(edgeA.certsDir, std::filesystem::path("/etc/containers/certs.d/edge-a.local:5000"));
  EXPECT_EQ(edgeA.authFile, std::filesystem::path("/etc/autonomy/auth.json"));
  EXPECT_EQ(edgeA.maxConnections, 8u);
  EXPECT_EQ(c.keys.at("fleet"), "/etc/autonomy/cosign.pub");
  ASSERT_EQ(c.schedules.size(), 1u);
  const Schedule& s = c.schedules[0];
  EXPECT_EQ(s.name, "reseed-edge-b");
  EXPECT_EQ(s.every, std::chrono::minutes{30});
  EXPECT_EQ(s.jitter, std::chrono::minutes{2});
  EXPECT_EQ(s.from, "edge-a.local:5000");
  EXPECT_EQ(s.to, "edge-b.local:5000");
  ASSERT_EQ(s.repos.size(), 2u);
  EXPECT_EQ(s.repos[0].str(), "robot-behavior:v1");
  EXPECT_EQ(s.repos[1].str(), "fleet/nav-stack:v2");
  EXPECT_EQ(s.key, "fleet");
  EXPECT_FALSE(s.skipVerify);
  EXPECT_TRUE(s.copyPolicy && s.keepGoing && s.enabled);
  EXPECT_EQ(s.line, 14);
}

TEST(ConfigLoader, ReadsEverySectionsValues) {
  const auto c = loadOk(
      "listen: [\"127.0.0.1:9000\", \"unix:/run/s.sock\"]\n"
      "concurrency: {repos: 2, connections_per_registry: 3, blobs_per_repo: 5}\n"
      "defaults: {copy_policy: true, keep_going: True, skip_verify: FALSE}\n"
      "jobs: {keep_finished: 10, keep_days: 7}\n"
      "log: {level: debug}\n");
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[1].kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(c.concurrency.repos, 2u);
  EXPECT_EQ(c.concurrency.connectionsPerRegistry, 3u);
  EXPECT_EQ(c.concurrency.blobsPerRepo, 5u);
  EXPECT_TRUE(c.defaults.copyPolicy && c.defaults.keepGoing);
  EXPECT_FALSE(c.defaults.skipVerify);
  EXPECT_EQ(c.jobs.keepFinished, 10u);
  EXPECT_EQ(c.jobs.keepDays, std::chrono::days{7});
  EXPECT_EQ(c.log.level, LogLevel::kDebug);
}

TEST(ConfigLoader, EveryLogLevel) {
  for (const char* name : {"trace", "debug", "info", "warn", "error"}) {
    const auto c = loadOk(std::string("log: {level: ") + name + "}\n");
    EXPECT_EQ(logLevelName(c.log.level), name);
  }
  EXPECT_EQ(loadError("log:\n  level: verbose\n"),
            at(2, "log.level: \"verbose\" is not a level (use trace, debug, info, warn or error)"));
}

TEST(ConfigLoader, ResolvesRelativePathsAgainstTheConfigDirectory) {
  const auto c = loadOk(
      "state_dir: ../../var/lib/syncd\n"
      "api: {token_file: ./syncd.token}\n"
      "keys: {fleet: keys/../keys/fleet.pub, abs: /opt/k.pub}\n"
      "listen: [\"unix:run/api.sock\"]\n");
  EXPECT_EQ(c.stateDir, "/var/lib/syncd");
  EXPECT_EQ(c.api.tokenFile, std::filesystem::path("/etc/autonomy/syncd.token"));
  EXPECT_EQ(c.keys.at("fleet"), "/etc/autonomy/keys/fleet.pub");
  EXPECT_EQ(c.keys.at("abs"), "/opt/k.pub");
  EXPECT_EQ(c.listen[0].unixPath, "/etc/autonomy/run/api.sock");
}

TEST(ConfigLoader, LoadsAFileAndResolvesAgainstItsDirectory) {
  TempDir dir;
  const auto file = dir.write("syncd.yaml", "keys: {fleet: cosign.pub}\nlog: {level: warn}\n");
  auto c = loadConfigFile(file);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source, file.string());
  EXPECT_EQ(c->keys.at("fleet"), dir.path() / "cosign.pub");
  EXPECT_EQ(c->log.level, LogLevel::kWarn);
}

TEST(ConfigLoader, FileErrorsNameTheFile) {
  TempDir dir;
  const auto file = dir.write("syncd.yaml", "log: {level: loud}\n");
  auto c = loadConfigFile(file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind(file.string() + ":1: log.level:", 0), 0u) << c.error().message;
}

TEST(ConfigLoader, MissingOrUnreadableFileIsAConfigError) {
  TempDir dir;
  auto missing = loadConfigFile(dir.path() / "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfig);
  EXPECT_TRUE(contains(missing.error().message, "cannot read config " + (dir.path() / "nope.yaml").string()));
  EXPECT_FALSE(loadConfigFile(dir.path()).ok());
}

TEST(ConfigLoader, UnknownKeysAreErrorsWithSuggestions) {
  EXPECT_EQ(loadError("log: {level: info}\n\nstat_dir: /x\n"),
            at(3, "stat_dir: unknown key (did you mean state_dir?)"));
  const auto nested = loadError("api:\n  token: /x\n");
  EXPECT_EQ(nested, at(2, "api.token: unknown key (expected one of: token_file, tls)"));
  EXPECT_TRUE(
      contains(loadError("jobs: {keep_finshed: 3}\n"), "jobs.keep_finshed: unknown key (did you mean keep_finished?)"));
  EXPECT_TRUE(
      contains(loadError("api: {tls: {cert_file: a, key_file: b, ca_file: c}}\n"), "api.tls.ca_file: unknown key"));
}

TEST(ConfigLoader, WrongTypesNameTheKeyAndLine) {
  EXPECT_EQ(loadError("listen: \"127.0.0.1:7480\"\n"), at(1, "listen: expected a list, got \"127.0.0.1:7480\""));
  EXPECT_EQ(loadError("api: /etc/token\n"), at(1, "api: expected a mapping of keys, got \"/etc/token\""));
  EXPECT_EQ(loadError("state_dir: [a, b]\n"), at(1, "state_dir: expected a path, got a list"));
  EXPECT_EQ(loadError("concurrency:\n  repos: four\n"),
            at(2, "concurrency.repos: expected a whole number from 1 to 1024, got \"four\""));
  EXPECT_EQ(loadError("concurrency:\n  repos: \"4\"\n"),
            at(2, "concurrency.repos: expected a whole number from 1 to 1024, got \"4\""));
  EXPECT_EQ(loadError("concurrency: {repos: -1}\n"),
            at(1, "concurrency.repos: expected a whole number from 1 to 1024, got \"-1\""));
  EXPECT_EQ(loadError("defaults:\n  keep_going: yes\n"),
            at(2, "defaults.keep_going: expected true or false, got \"yes\""));
  EXPECT_EQ(loadError("defaults:\n  copy_policy: \"true\"\n"),
            at(2, "defaults.copy_policy: expected true or false, got \"true\""));
  EXPECT_EQ(loadError("log: {level: [info]}\n"), at(1, "log.level: expected a string, got a list"));
  EXPECT_EQ(loadError("- listen\n"), at(1, "expected a mapping of keys, got a list"));
  EXPECT_EQ(loadError("just text\n"), at(1, "expected a mapping of keys, got \"just text\""));
}

TEST(ConfigLoader, EmptyValuesBlameTheKeysLine) {
  EXPECT_EQ(loadError("log: {level: info}\nstate_dir:\nkeys: {}\n"), at(2, "state_dir: expected a path, got nothing"));
  EXPECT_EQ(loadError("state_dir: \"\"\n"), at(1, "state_dir: must not be empty"));
}

TEST(ConfigLoader, OutOfRangeNumbers) {
  EXPECT_EQ(loadError("concurrency: {repos: 0}\n"),
            at(1, "concurrency.repos: 0 is out of range: use a number from 1 to 1024"));
  EXPECT_TRUE(
      contains(loadError("concurrency: {blobs_per_repo: 5000}\n"), "concurrency.blobs_per_repo: 5000 is out of range"));
  EXPECT_TRUE(contains(loadError("concurrency: {connections_per_registry: 99999999999999999999999}\n"),
                       "concurrency.connections_per_registry: expected a whole number"));
  EXPECT_TRUE(contains(loadError("jobs: {keep_finished: 0}\n"), "jobs.keep_finished: 0 is out of range"));
  EXPECT_TRUE(contains(loadError("jobs: {keep_days: 0}\n"), "jobs.keep_days: 0 is out of range"));
  EXPECT_TRUE(contains(loadError("jobs: {keep_days: 1.5}\n"), "jobs.keep_days: expected a whole number"));
}

TEST(ConfigLoader, DuplicateKeysAreErrors) {
  EXPECT_EQ(loadError("state_dir: /a\nlog: {level: info}\nstate_dir: /b\n"),
            at(3, "state_dir: duplicate key (first set on line 1)"));
  EXPECT_TRUE(contains(loadError("keys:\n  fleet: /a\n  fleet: /b\n"), at(3, "keys.fleet: duplicate key")));
}

TEST(ConfigLoader, YamlSyntaxErrorsCarryTheLine) {
  const auto message = loadError("log: {level: info}\nlisten: [\"127.0.0.1:7480\"\nstate_dir: /x\n");
  EXPECT_TRUE(contains(message, std::string(kConfigName) + ":")) << message;
  EXPECT_TRUE(contains(message, "invalid YAML")) << message;
  EXPECT_TRUE(contains(loadError("a: b: c\n"), at(1, "invalid YAML")));
}

TEST(ConfigLoader, RejectsMoreThanOneDocument) {
  EXPECT_EQ(loadError("log: {level: info}\n---\nlog: {level: warn}\n"),
            at(3, "more than one YAML document; put everything in one"));
}

TEST(ConfigLoader, ReportsEveryErrorInFileOrder) {
  const auto message = loadError(
      "log: {level: loud}\n"
      "bogus: 1\n"
      "concurrency: {repos: 0}\n");
  EXPECT_EQ(message, at(1, "log.level: \"loud\" is not a level (use trace, debug, info, warn or error)") + "\n" +
                         at(2,
                            "bogus: unknown key (expected one of: listen, state_dir, api, concurrency, registries, "
                            "keys, rekor_keys, defaults, jobs, log, schedules, media_dirs, notify)") +
                         "\n" + at(3, "concurrency.repos: 0 is out of range: use a number from 1 to 1024"));
}

TEST(ConfigLoader, ErrorsWithoutALineNameTheFileOnly) {
  auto c = loadConfigString("a: [", "inline.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("inline.yaml:", 0), 0u) << c.error().message;
}

TEST(ConfigLoader, RestartRequiredChangesListsOnlyNonReloadableSections) {
  const auto base = loadOk(kSpecExample);
  auto changed = loadOk(std::string(kSpecExample) + "log: {level: debug}\n");
  EXPECT_TRUE(restartRequiredChanges(base, changed).empty());
  changed = loadOk(
      "listen: [\"127.0.0.1:7481\"]\nstate_dir: /srv/syncd\nconcurrency: {repos: 1}\njobs: {keep_days: 3}\n"
      "api: {token_file: /x}\n");
  EXPECT_EQ(restartRequiredChanges(base, changed),
            (std::vector<std::string>{"listen", "state_dir", "api", "concurrency", "jobs"}));
  EXPECT_TRUE(restartRequiredChanges(base, base).empty());
}

TEST(ConfigLoader, NotifyTargetsTakeAUrlATokenFileAndEvents) {
  const auto c = loadOk(
      "notify:\n"
      "  - url: https://edge-c.local:7480/v1/schedules/from-b/trigger\n"
      "    token_file: edge-c.token\n"
      "    events: [job-succeeded, job-failed]\n"
      "  - url: http://127.0.0.1:7481/v1/schedules/local/trigger\n");
  ASSERT_EQ(c.notify.size(), 2u);
  EXPECT_EQ(c.notify[0].url, "https://edge-c.local:7480/v1/schedules/from-b/trigger");
  EXPECT_EQ(c.notify[0].tokenFile, std::filesystem::path("/etc/autonomy/edge-c.token"));
  EXPECT_EQ(c.notify[0].events, (std::vector<std::string>{"job-succeeded", "job-failed"}));
  EXPECT_FALSE(c.notify[1].tokenFile);
  EXPECT_EQ(c.notify[1].events, (std::vector<std::string>{"job-finished"})) << "the default";
}

TEST(ConfigLoader, NotifyRefusesCleartextTokensBadUrlsAndUnknownEvents) {
  const auto message = [](const std::string& yaml) {
    auto c = loadConfigString(yaml, "/etc/autonomy/syncd.yaml");
    EXPECT_FALSE(c.ok()) << yaml;
    return c.ok() ? std::string() : c.error().message;
  };
  EXPECT_NE(message("notify: [{url: \"http://edge-c.local:7480/v1/schedules/x/trigger\"}]\n")
                .find("notify[0].url: \"http://edge-c.local:7480/v1/schedules/x/trigger\" sends the token in clear"),
            std::string::npos);
  EXPECT_NE(message("notify: [{url: ftp://edge-c/x}]\n").find("notify[0].url: \"ftp://edge-c/x\" is not an http(s)://"),
            std::string::npos);
  EXPECT_NE(
      message("notify: [{url: \"https://edge-c.local/x\", events: [job-done]}]\n")
          .find("notify[0].events[0]: \"job-done\" is not an event (use job-finished, job-succeeded or job-failed)"),
      std::string::npos);
  EXPECT_NE(message("notify: [{token_file: /x}]\n").find("notify[0]: missing url:"), std::string::npos);
  EXPECT_NE(message("notify: [{url: \"https://a/x\"}, {url: \"https://a/x\"}]\n")
                .find("notify[1].url: \"https://a/x\" is listed twice"),
            std::string::npos);
  EXPECT_NE(message("notify: [{url: \"https://a/x\", events: []}]\n").find("notify[0].events: needs at least one"),
            std::string::npos);
}

TEST(ConfigLoader, NotifyEventsMatchJobStates) {
  EXPECT_TRUE(notifyEventMatches("job-finished", "cancelled"));
  EXPECT_TRUE(notifyEventMatches("job-succeeded", "succeeded"));
  EXPECT_FALSE(notifyEventMatches("job-succeeded", "partial"));
  EXPECT_TRUE(notifyEventMatches("job-failed", "partial"));
  EXPECT_TRUE(notifyEventMatches("job-failed", "failed"));
  EXPECT_FALSE(notifyEventMatches("job-failed", "cancelled"));
}

TEST(ConfigLoader, RekorKeysAreNamedFilesLikeKeys) {
  const auto c = loadOk("rekor_keys: {public-good: rekor.pub, staging: /opt/rekor-staging.pub}\n");
  EXPECT_EQ(c.rekorKeys.at("public-good"), "/etc/autonomy/rekor.pub");
  EXPECT_EQ(c.rekorKeys.at("staging"), "/opt/rekor-staging.pub");
  EXPECT_TRUE(c.keys.empty());
  EXPECT_TRUE(loadOk("listen: [\"127.0.0.1:7480\"]\n").rekorKeys.empty());
  const auto bad = loadError("rekor_keys:\n  \"bad name\": /etc/r.pub\n");
  EXPECT_TRUE(contains(bad, at(2, "rekor_keys[\"bad name\"]"))) << bad;
  EXPECT_TRUE(contains(bad, "not a valid key name")) << bad;
}

// yaml-cpp 0.7 loops forever on these (found by fuzz_config): refused before it sees them.
TEST(ConfigLoader, RootThatIsNotABlockMappingIsRefusedWithoutHanging) {
  for (const char* text : {",", "  ,\n", "\"x\",", "[a], b", "{a: 1}, b", "# c\n,", "---\n,", "listen: []\n---\n,",
                           "just, a scalar\n", "- item, x\n"}) {
    const auto error = loadError(text);
    EXPECT_TRUE(contains(error, "the top level must be a mapping of keys")) << text << "\n" << error;
  }
  EXPECT_TRUE(loadOk("# comment\n\n\"listen\": [\"127.0.0.1:7480\"]\n").listen.size() == 1);
  EXPECT_TRUE(loadOk("---\nlog: {level: warn}\n").listen.size() == 1);
  EXPECT_TRUE(loadOk("").listen.size() == 1);
}

// Found by fuzz_config: yaml-cpp 0.7 never returns on this; the loader gives up after its deadline.
TEST(ConfigLoader, YamlThatHangsTheParserIsAnErrorAfterTheDeadline) {
  const auto error = loadError(" e:\n&#,");
  EXPECT_TRUE(contains(error, "did not finish on this file") || contains(error, "needed more than 256 MiB")) << error;
}
