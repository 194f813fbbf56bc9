// The example config/syncd.yaml (shipped as /usr/share/doc/autonomy-syncd/examples/syncd.yaml;
// the .deb installs config/syncd.default.yaml as /etc/autonomy/syncd.yaml) must load as
// shipped, and its commented-out examples must load once uncommented.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/ConfigLoader.hpp"

using namespace autonomy::config;

namespace {

const std::filesystem::path kExample = std::filesystem::path(AUTONOMY_SOURCE_DIR) / "config" / "syncd.yaml";

std::string readExample() {
  std::ifstream in(kExample);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Drops "<section>: {}" / "<section>: []" and strips "# " from the commented block below it.
std::string uncomment(const std::string& text, const std::string& section) {
  std::istringstream in(text);
  std::string out;
  std::string line;
  bool inBlock = false;
  while (std::getline(in, line)) {
    if (line == section + ": {}" || line == section + ": []") {
      inBlock = true;
      continue;
    }
    if (inBlock && line.rfind("# ", 0) == 0) {
      line = line.substr(2);
    } else {
      inBlock = false;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST(ExampleConfig, LoadsAsShipped) {
  auto c = loadConfigFile(kExample);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->listen.size(), 1u);
  EXPECT_EQ(c->listen[0].str(), "127.0.0.1:7480");
  EXPECT_TRUE(c->listen[0].isLocalOnly());
  EXPECT_EQ(c->stateDir, "/var/lib/autonomy-syncd");
  EXPECT_EQ(c->api.tokenFile, std::filesystem::path("/etc/autonomy/syncd.token"));
  EXPECT_FALSE(c->api.tls);
  EXPECT_EQ(c->keys.at("fleet"), "/etc/autonomy/cosign.pub");
  EXPECT_EQ(c->concurrency, ConcurrencyConfig{});
  EXPECT_EQ(c->jobs, JobsConfig{});
  EXPECT_EQ(c->defaults, Defaults{});
  EXPECT_EQ(c->log.level, LogLevel::kInfo);
  EXPECT_TRUE(c->schedules.empty());
  EXPECT_TRUE(c->notify.empty());
  EXPECT_TRUE(c->registries.empty());
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ExampleConfig, CommentedExamplesLoadOnceUncommented) {
  const std::string text = uncomment(uncomment(uncomment(readExample(), "registries"), "schedules"), "notify");
  auto c = loadConfigString(text, "/etc/autonomy/syncd.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message << "\n" << text;
  const auto& edgeA = c->registries.at("edge-a.local:5000");
  EXPECT_FALSE(edgeA.insecure);
  EXPECT_EQ(edgeA.certsDir, std::filesystem::path("/etc/containers/certs.d/edge-a.local:5000"));
  EXPECT_EQ(edgeA.authFile, std::filesystem::path("/etc/autonomy/auth.json"));
  EXPECT_EQ(edgeA.maxConnections, 8u);
  EXPECT_EQ(edgeA.maxBandwidth, 10u * 1024 * 1024);
  EXPECT_EQ(edgeA.windows.specs(), (std::vector<std::string>{"Mon-Fri 22:00-06:00", "Sat,Sun 00:00-24:00"}));
  ASSERT_EQ(c->schedules.size(), 1u);
  const Schedule& s = c->schedules[0];
  EXPECT_EQ(s.name, "reseed-edge-b");
  EXPECT_EQ(s.windows.specs(), std::vector<std::string>{"01:00-05:00"});
  EXPECT_EQ(s.every, std::chrono::minutes{30});
  EXPECT_EQ(s.jitter, std::chrono::minutes{2});
  EXPECT_EQ(s.from, "edge-a.local:5000");
  EXPECT_EQ(s.to, "edge-b.local:5000");
  EXPECT_EQ(s.repos.size(), 2u);
  ASSERT_EQ(s.selections.size(), 1u);
  EXPECT_EQ(s.selections[0].tags.describe(), "semver '^2', keep_latest 2");
  EXPECT_EQ(s.key, "fleet");
  EXPECT_TRUE(s.copyPolicy && s.keepGoing && s.enabled);
  ASSERT_EQ(c->notify.size(), 1u);
  EXPECT_EQ(c->notify[0].url, "https://edge-c.local:7480/v1/schedules/from-b/trigger");
  EXPECT_EQ(c->notify[0].tokenFile, std::filesystem::path("/etc/autonomy/edge-c.token"));
  EXPECT_EQ(c->notify[0].events, std::vector<std::string>{"job-succeeded"});
}

TEST(ExampleConfig, DocumentsEveryKey) {
  const std::string text = readExample();
  for (const char* key : {"listen:",
                          "state_dir:",
                          "api:",
                          "token_file:",
                          "tls:",
                          "cert_file:",
                          "key_file:",
                          "concurrency:",
                          "repos:",
                          "connections_per_registry:",
                          "blobs_per_repo:",
                          "registries:",
                          "insecure:",
                          "certs_dir:",
                          "auth_file:",
                          "username:",
                          "password_file:",
                          "max_connections:",
                          "max_bandwidth:",
                          "keys:",
                          "defaults:",
                          "copy_policy:",
                          "keep_going:",
                          "skip_verify:",
                          "jobs:",
                          "keep_finished:",
                          "keep_days:",
                          "log:",
                          "level:",
                          "schedules:",
                          "name:",
                          "every:",
                          "cron:",
                          "jitter:",
                          "from:",
                          "to:",
                          "key:",
                          "enabled:",
                          "notify:",
                          "url:",
                          "events:"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
}
