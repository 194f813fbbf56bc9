// Listener security, registries, keys and the optional file checks.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/config/ConfigTestSupport.hpp"

using namespace autonomy;
using namespace autonomy::config;
using namespace autonomy::config::testing;

TEST(ListenerSecurity, RemoteListenerWithoutTlsOrTokenIsRefused) {
  EXPECT_EQ(loadError("listen:\n  - 127.0.0.1:7480\n  - 0.0.0.0:7480\n"),
            at(3,
               "listen[1]: \"0.0.0.0:7480\" is reachable from other hosts, so api.tls and api.token_file are required "
               "(missing api.tls and api.token_file); or listen on 127.0.0.1 or a unix: socket"));
  EXPECT_TRUE(contains(loadError("listen: [\"10.1.2.3:7480\"]\napi: {token_file: /t}\n"), "(missing api.tls)"));
  EXPECT_TRUE(contains(loadError("listen: [\"[::]:7480\"]\napi: {tls: {cert_file: /c, key_file: /k}}\n"),
                       "(missing api.token_file)"));
}

TEST(ListenerSecurity, IsReportedAlongsideOtherErrors) {
  const auto message = loadError("log: {level: loud}\nlisten: [\"0.0.0.0:7480\"]\n");
  EXPECT_TRUE(contains(message, at(1, "log.level:"))) << message;
  EXPECT_TRUE(contains(message, at(2, "listen[0]: \"0.0.0.0:7480\" is reachable from other hosts"))) << message;
}

TEST(ListenerSecurity, NamesTheEntryAsWrittenWhenAnEarlierOneIsBad) {
  const auto message = loadError("listen:\n  - nonsense\n  - 0.0.0.0:7480\n");
  EXPECT_TRUE(contains(message, at(2, "listen[0]: \"nonsense\" is not a listen address"))) << message;
  EXPECT_TRUE(contains(message, at(3, "listen[1]: \"0.0.0.0:7480\" is reachable"))) << message;
}

TEST(ListenerSecurity, RemoteListenerWithTlsAndTokenIsAllowed) {
  const auto c = loadOk(
      "listen: [\"0.0.0.0:7480\"]\n"
      "api:\n  token_file: /etc/autonomy/syncd.token\n  tls: {cert_file: tls.crt, key_file: tls.key}\n");
  EXPECT_FALSE(c.listen[0].isLocalOnly());
  EXPECT_EQ(c.api.tls->certFile, "/etc/autonomy/tls.crt");
}

TEST(ListenerSecurity, LocalListenersNeedNeither) {
  const auto c = loadOk("listen: [\"127.0.0.1:7480\", \"[::1]:7480\", \"localhost:7481\", \"unix:/run/a.sock\"]\n");
  EXPECT_EQ(c.listen.size(), 4u);
}

TEST(ListenerSecurity, BadAndDuplicateListenAddresses) {
  EXPECT_TRUE(contains(loadError("listen: [\"127.0.0.1\"]\n"),
                       at(1, "listen[0]: \"127.0.0.1\" is not a listen address: no port")));
  EXPECT_EQ(loadError("listen:\n  - 127.0.0.1:7480\n  - 127.0.0.1:7480\n"),
            at(3, "listen[1]: \"127.0.0.1:7480\" is listed twice"));
  EXPECT_TRUE(contains(loadError("listen: []\n"), at(1, "listen: needs at least one address")));
  EXPECT_TRUE(contains(loadError("listen: [7480]\n"), "listen[0]: \"7480\" is not a listen address"));
}

TEST(ApiConfig, TlsNeedsBothFiles) {
  EXPECT_EQ(loadError("api:\n  tls:\n    cert_file: /c\n"),
            at(3, "api.tls: needs both cert_file: and key_file: (PEM files)"));
  EXPECT_TRUE(contains(loadError("api: {tls: true}\n"), "api.tls: expected a mapping of keys, got \"true\""));
  EXPECT_TRUE(contains(loadError("api: {token_file: \"\"}\n"), "api.token_file: must not be empty"));
}

TEST(Registries, DefaultsComeFromConcurrencyWhateverTheOrder) {
  const auto c = loadOk(
      "registries:\n"
      "  \"edge-a.local:5000\": {insecure: true}\n"
      "  edge-b.local:5000:\n"
      "  edge-c: {max_connections: 2, username: syncd, password_file: pw}\n"
      "concurrency: {connections_per_registry: 3}\n");
  EXPECT_TRUE(c.registries.at("edge-a.local:5000").insecure);
  EXPECT_EQ(c.registries.at("edge-a.local:5000").maxConnections, 3u);
  EXPECT_EQ(c.registries.at("edge-b.local:5000").maxConnections, 3u);
  const auto& edgeC = c.registries.at("edge-c");
  EXPECT_EQ(edgeC.maxConnections, 2u);
  EXPECT_EQ(edgeC.username, "syncd");
  EXPECT_EQ(edgeC.passwordFile, std::filesystem::path("/etc/autonomy/pw"));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], at(2, "registry edge-a.local:5000 is reached over plain HTTP (insecure: true)"));
}

TEST(Registries, RegistryForFallsBackToDefaults) {
  const auto c =
      loadOk("concurrency: {connections_per_registry: 5}\nregistries: {Edge-A.local: {max_connections: 1}}\n");
  EXPECT_EQ(c.registryFor("Edge-A.local").maxConnections, 1u);
  EXPECT_EQ(c.registryFor("edge-a.LOCAL").maxConnections, 1u);
  const auto other = c.registryFor("edge-z:5000");
  EXPECT_EQ(other.host, "edge-z:5000");
  EXPECT_EQ(other.maxConnections, 5u);
  EXPECT_FALSE(other.insecure);
  EXPECT_FALSE(other.authFile);
}

TEST(Registries, BadHostsAndFieldsAreErrors) {
  EXPECT_TRUE(contains(loadError("registries:\n  \"https://edge-a\": {}\n"),
                       at(2, "registries[\"https://edge-a\"]: invalid registry host 'https://edge-a'")));
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a: {insecure: maybe}\n"),
                       at(2, "registries.edge-a.insecure: expected true or false, got \"maybe\"")));
  EXPECT_TRUE(contains(loadError("registries:\n  \"edge-a:5000\": {max_connection: 3}\n"),
                       "registries[\"edge-a:5000\"].max_connection: unknown key (did you mean max_connections?)"));
  EXPECT_TRUE(contains(loadError("registries: {edge-a: {max_connections: 0}}\n"),
                       "registries.edge-a.max_connections: 0 is out of range"));
  EXPECT_TRUE(
      contains(loadError("registries: [edge-a]\n"), at(1, "registries: expected a mapping of keys, got a list")));
  EXPECT_TRUE(
      contains(loadError("registries: {edge-a: 5}\n"), "registries.edge-a: expected a mapping of keys, got \"5\""));
}

TEST(Registries, MaxBandwidthIsARate) {
  const auto c = loadOk("registries:\n  edge-a: {max_bandwidth: 10MiB/s}\n  edge-b: {max_bandwidth: \"1.5MB/s\"}\n");
  EXPECT_EQ(c.registryFor("edge-a").maxBandwidth, 10u * 1024 * 1024);
  EXPECT_EQ(c.registryFor("edge-b").maxBandwidth, 1500000u);
  EXPECT_EQ(c.registryFor("edge-c").maxBandwidth, 0u) << "no cap unless configured";
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a: {max_bandwidth: fast}\n"),
                       at(2, "registries.edge-a.max_bandwidth: byte size \"fast\": expected a number")));
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a: {max_bandwidth: 0}\n"),
                       at(2, "registries.edge-a.max_bandwidth: 0 would move nothing")));
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a: {max_bandwidth: 10 furlongs}\n"), "unknown unit"));
}

TEST(Registries, CredentialsMustBeComplete) {
  EXPECT_EQ(loadError("registries:\n  edge-a:\n    username: syncd\n"),
            at(3, "registries.edge-a: username: and password_file: go together; set both or neither"));
  EXPECT_EQ(loadError("registries:\n  edge-a:\n    password_file: /pw\n"),
            at(3, "registries.edge-a: username: and password_file: go together; set both or neither"));
  EXPECT_EQ(loadError("registries:\n  edge-a:\n    auth_file: /a.json\n    username: u\n    password_file: /pw\n"),
            at(4, "registries.edge-a: set auth_file: or username: with password_file:, not both"));
}

TEST(Keys, NamesArePlainAndPathsResolve) {
  const auto c = loadOk("keys:\n  fleet: cosign.pub\n  fleet.v2_old-1: /k/2.pub\n");
  EXPECT_EQ(*c.findKey("fleet"), "/etc/autonomy/cosign.pub");
  EXPECT_EQ(*c.findKey("fleet.v2_old-1"), "/k/2.pub");
  EXPECT_EQ(c.findKey("other"), nullptr);
  EXPECT_TRUE(contains(loadError("keys:\n  \"fleet key\": /k.pub\n"),
                       at(2, "keys[\"fleet key\"]: \"fleet key\" is not a valid key name")));
  EXPECT_TRUE(contains(loadError("keys:\n  -fleet: /k.pub\n"), "is not a valid key name"));
  EXPECT_TRUE(contains(loadError("keys:\n  fleet:\n"), at(2, "keys.fleet: expected a path, got nothing")));
  EXPECT_TRUE(contains(loadError("keys: [/k.pub]\n"), "keys: expected a mapping of keys, got a list"));
}

TEST(Defaults, SkipVerifyIsWarnedAbout) {
  const auto c = loadOk("defaults:\n  skip_verify: true\n");
  EXPECT_TRUE(c.defaults.skipVerify);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_TRUE(contains(c.warnings[0], "defaults.skip_verify is true"));
}

class CheckFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("config-checkfiles-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "certs.d");
    std::ofstream(dir_ / "cosign.pub") << "pem";
    std::ofstream(dir_ / "token") << "t";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<DaemonConfig> load(const std::string& text) {
    return loadConfigString(text, (dir_ / "syncd.yaml").string(), LoadOptions{true});
  }
  std::filesystem::path dir_;
};

TEST_F(CheckFiles, PassesWhenEveryNamedFileExists) {
  auto c = load("api: {token_file: token}\nkeys: {fleet: cosign.pub}\nregistries: {edge-a: {certs_dir: certs.d}}\n");
  EXPECT_TRUE(c.ok()) << c.error().message;
}

TEST_F(CheckFiles, NamesTheMissingFileAndItsLine) {
  auto c = load("keys:\n  fleet: cosign.pub\n  old: old.pub\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            (dir_ / "syncd.yaml").string() + ":3: keys.old: " + (dir_ / "old.pub").string() + " does not exist");
}

TEST_F(CheckFiles, KnowsFilesFromDirectories) {
  auto c = load("keys: {fleet: certs.d}\nregistries: {edge-a: {certs_dir: cosign.pub}}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(
      contains(c.error().message, "keys.fleet: " + (dir_ / "certs.d").string() + " is a directory, not a file"));
  EXPECT_TRUE(contains(c.error().message, "certs_dir: " + (dir_ / "cosign.pub").string() + " is not a directory"));
}

TEST_F(CheckFiles, OffByDefault) {
  EXPECT_TRUE(loadConfigString("keys: {fleet: /nowhere/k.pub}\n", (dir_ / "syncd.yaml").string()).ok());
}

TEST(MediaDirs, NoneByDefaultListedResolvedAndNormal) {
  EXPECT_TRUE(loadOk("listen: [\"127.0.0.1:7480\"]\n").mediaDirs.empty());
  const auto c = loadOk("media_dirs: [/media/usb/, exports, /srv/./airgap]\n");
  ASSERT_EQ(c.mediaDirs.size(), 3u);
  EXPECT_EQ(c.mediaDirs[0], "/media/usb");
  EXPECT_EQ(c.mediaDirs[1], "/etc/autonomy/exports") << "relative to the config's directory";
  EXPECT_EQ(c.mediaDirs[2], "/srv/airgap");
}

TEST(MediaDirs, RootDuplicatesAndWrongTypesAreRefusedWithTheLine) {
  auto bad = loadError("media_dirs: [/]\n");
  EXPECT_TRUE(contains(bad, at(1, "media_dirs[0]"))) << bad;
  EXPECT_TRUE(contains(bad, "root directory")) << bad;
  bad = loadError("media_dirs:\n  - /media/usb\n  - /media/usb/\n");
  EXPECT_TRUE(contains(bad, at(3, "media_dirs[1]"))) << bad;
  EXPECT_TRUE(contains(bad, "listed twice")) << bad;
  bad = loadError("media_dirs: /media/usb\n");
  EXPECT_TRUE(contains(bad, "media_dirs")) << bad;
}

TEST(MediaDirs, PathIsUnderComparesWholeComponents) {
  EXPECT_TRUE(pathIsUnder("/media/usb/fleet", "/media/usb"));
  EXPECT_TRUE(pathIsUnder("/media/usb/a/b.tar", "/media/usb"));
  EXPECT_FALSE(pathIsUnder("/media/usb", "/media/usb")) << "the directory itself is not a layout inside it";
  EXPECT_FALSE(pathIsUnder("/media/usb2/fleet", "/media/usb"));
  EXPECT_FALSE(pathIsUnder("/media", "/media/usb"));
  EXPECT_FALSE(pathIsUnder("/etc/passwd", "/media/usb"));
}

TEST(Registries, WindowsAreTimesOfDay) {
  const auto c = loadOk("registries:\n  edge-a:\n    windows: [\"Mon-Fri 22:00-06:00\"]\n");
  EXPECT_EQ(c.registryFor("edge-a").windows.specs(), std::vector<std::string>{"Mon-Fri 22:00-06:00"});
  EXPECT_TRUE(c.registryFor("edge-c").windows.alwaysOpen()) << "no windows unless configured";
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a:\n    windows: [\"01:00-01:00\"]\n"),
                       at(3, "registries.edge-a.windows[0]: \"01:00-01:00\": starts and ends at the same time")));
  EXPECT_TRUE(contains(loadError("registries:\n  edge-a:\n    windows: nightly\n"), "registries.edge-a.windows"));
}
