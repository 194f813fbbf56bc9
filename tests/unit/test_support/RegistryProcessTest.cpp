#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/core/Sha256.hpp"
#include "tests/support/process/Ports.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/support/process/TestCa.hpp"
#include "tests/unit/test_support/Curl.hpp"

namespace autonomy::testing {
namespace {

std::string digestOf(const std::string& bytes) { return "sha256:" + Sha256::hex(bytes); }

// Two-step upload (POST, then PUT with the digest), as distribution documents it.
std::string pushBlob(const RegistryProcess& registry, const std::string& repo, const std::string& bytes,
                     const std::vector<std::string>& auth = {}) {
  std::vector<std::string> post = auth;
  post.insert(post.end(), {"-X", "POST"});
  CurlReply started = curl(post, registry.url() + "/v2/" + repo + "/blobs/uploads/");
  EXPECT_EQ(started.status, 202) << started.headers;
  std::string location = headerValue(started.headers, "Location");
  if (location.rfind('/', 0) == 0) location = registry.url() + location;
  std::string digest = digestOf(bytes);
  std::vector<std::string> put = auth;
  put.insert(put.end(), {"-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary", bytes});
  CurlReply done = curl(put, location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest);
  EXPECT_EQ(done.status, 201) << done.headers << done.body;
  return digest;
}

std::string pushImage(const RegistryProcess& registry, const std::string& repo, const std::string& tag) {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer = "layer bytes for " + repo;
  std::string configDigest = pushBlob(registry, repo, config);
  std::string layerDigest = pushBlob(registry, repo, layer);
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         configDigest + R"(","size":)" + std::to_string(config.size()) +
                         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                         layerDigest + R"(","size":)" + std::to_string(layer.size()) + "}]}";
  CurlReply put =
      curl({"-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json", "--data-binary", manifest},
           registry.url() + "/v2/" + repo + "/manifests/" + tag);
  EXPECT_EQ(put.status, 201) << put.headers << put.body;
  return digestOf(manifest);
}

TEST(RegistryProcess, PlainRegistryAnswersV2With200) {
  RegistryProcess registry;
  EXPECT_EQ(registry.host(), "127.0.0.1:" + std::to_string(registry.port()));
  CurlReply reply = curl({}, registry.url() + "/v2/");
  EXPECT_EQ(reply.status, 200) << reply.headers;
  EXPECT_EQ(headerValue(reply.headers, "Docker-Distribution-Api-Version"), "registry/2.0");
}

// The start-up check that tells our registry from another test's server on the same port.
TEST(RegistryProcess, OnlyItsOwnProcessListensOnItsPort) {
  RegistryProcess a;
  RegistryProcess b;
  EXPECT_TRUE(processListensOn(a.pid(), a.port()));
  EXPECT_TRUE(processListensOn(b.pid(), b.port()));
  EXPECT_FALSE(processListensOn(a.pid(), b.port()));
  EXPECT_FALSE(processListensOn(b.pid(), a.port()));
}

TEST(RegistryProcess, StorageAccessorsSeeWhatWasPushedAndRestartKeepsIt) {
  RegistryProcess registry;
  std::string manifestDigest = pushImage(registry, "fleet/nav", "v1");
  EXPECT_TRUE(registry.hasTag("fleet/nav", "v1"));
  EXPECT_FALSE(registry.hasTag("fleet/nav", "v2"));
  EXPECT_EQ(registry.tags("fleet/nav"), std::vector<std::string>{"v1"});
  EXPECT_EQ(registry.manifestLinks("fleet/nav"), std::vector<std::string>{manifestDigest});

  std::string layer = "layer bytes for fleet/nav";
  std::filesystem::path data = registry.blobDataPath(digestOf(layer));
  ASSERT_TRUE(std::filesystem::is_regular_file(data)) << data;

  pid_t before = registry.pid();
  registry.restart();
  EXPECT_NE(registry.pid(), before);
  CurlReply manifest =
      curl({"-H", "Accept: application/vnd.oci.image.manifest.v1+json"}, registry.url() + "/v2/fleet/nav/manifests/v1");
  EXPECT_EQ(manifest.status, 200) << manifest.headers;
  EXPECT_EQ(headerValue(manifest.headers, "Docker-Content-Digest"), manifestDigest);

  // Corrupting the data file changes what the registry serves (it does not re-verify).
  std::ofstream(data, std::ios::binary | std::ios::trunc) << std::string(layer.size(), 'X');
  CurlReply blob = curl({}, registry.url() + "/v2/fleet/nav/blobs/" + digestOf(layer));
  EXPECT_EQ(blob.status, 200);
  EXPECT_EQ(blob.body, std::string(layer.size(), 'X'));
}

TEST(RegistryProcess, StopEndsTheProcessAndTheRegistryStopsAnswering) {
  RegistryProcess registry;
  registry.stop();
  EXPECT_FALSE(registry.running());
  EXPECT_EQ(curl({"--max-time", "2"}, registry.url() + "/v2/").status, 0);
}

TEST(RegistryProcess, BasicAuthRejectsMissingCredentialsAndAcceptsValidOnes) {
  RegistryOptions options;
  options.htpasswdUsers = {{"alice", "s3cret"}};
  RegistryProcess registry(options);
  CurlReply anonymous = curl({}, registry.url() + "/v2/");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(headerValue(anonymous.headers, "WWW-Authenticate"), "Basic realm=\"autonomy-test\"");
  EXPECT_EQ(curl({"-u", "alice:wrong"}, registry.url() + "/v2/").status, 401);
  EXPECT_EQ(curl({"-u", "alice:s3cret"}, registry.url() + "/v2/").status, 200);
}

TEST(RegistryProcess, TlsRegistryAnswersWithTheTestCa) {
  TestCa ca;
  RegistryOptions options;
  options.tls = ca.registryTls();
  RegistryProcess registry(options);
  EXPECT_EQ(registry.url(), "https://" + registry.host());
  EXPECT_EQ(curl({"--cacert", ca.caCertPath().string()}, registry.url() + "/v2/").status, 200);
  EXPECT_EQ(
      curl({"--cacert", ca.caCertPath().string()}, "https://localhost:" + std::to_string(registry.port()) + "/v2/")
          .status,
      200);
  CurlReply untrusted = curl({}, registry.url() + "/v2/");
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_EQ(untrusted.exitCode, 60);  // CURLE_PEER_FAILED_VERIFICATION

  TempDir certsRoot("certsd");
  std::filesystem::path hostDir = ca.writeCertsDir(certsRoot.path(), registry.host());
  EXPECT_EQ(hostDir, certsRoot.path() / registry.host());
  EXPECT_TRUE(std::filesystem::is_regular_file(hostDir / "ca.crt"));
  EXPECT_FALSE(std::filesystem::exists(hostDir / "client.cert"));
}

TEST(RegistryProcess, MutualTlsRequiresTheClientCertificate) {
  TestCa ca;
  RegistryOptions options;
  options.tls = ca.registryTls(true);
  RegistryProcess registry(options);
  TempDir certsRoot("certsd");
  std::filesystem::path hostDir = ca.writeCertsDir(certsRoot.path(), registry.host(), true);
  ASSERT_TRUE(std::filesystem::is_regular_file(hostDir / "client.key"));

  EXPECT_EQ(curl({"--cacert", (hostDir / "ca.crt").string()}, registry.url() + "/v2/").status, 0);
  // curl reads "--cert file:password": the ':' of the certs.d host directory must be escaped.
  std::string certArg = (hostDir / "client.cert").string();
  for (auto at = certArg.find(':'); at != std::string::npos; at = certArg.find(':', at + 2)) certArg.insert(at, "\\");
  EXPECT_EQ(
      curl({"--cacert", (hostDir / "ca.crt").string(), "--cert", certArg, "--key", (hostDir / "client.key").string()},
           registry.url() + "/v2/")
          .status,
      200);
}

TEST(RegistryProcess, TlsRegistryRejectsACertificateForAnotherHost) {
  TestCa ca;
  auto [cert, key] = ca.issueServerCert("elsewhere", {"elsewhere.example"}, {"10.9.8.7"});
  RegistryOptions options;
  options.tls = RegistryTls{cert, key, {}};
  RegistryProcess registry(options);
  CurlReply reply = curl({"--cacert", ca.caCertPath().string()}, registry.url() + "/v2/");
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.exitCode, 60);
}

TEST(RegistryProcess, ReadOnlyRegistryRefusesUploads) {
  RegistryOptions options;
  options.readOnly = true;
  RegistryProcess registry(options);
  CurlReply reply = curl({"-X", "POST"}, registry.url() + "/v2/fleet/nav/blobs/uploads/");
  EXPECT_EQ(reply.status, 405) << reply.headers << reply.body;
}

}  // namespace
}  // namespace autonomy::testing
