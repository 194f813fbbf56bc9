#include "api/JobRequest.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace autonomy::api {
namespace {

using nlohmann::json;

json validBody() {
  return {{"from_registry", "edge-a.local:5000"},
          {"to_registry", "edge-b.local:5000"},
          {"repos", {"robot-behavior:v1", "fleet/nav-stack@sha256:" + std::string(64, 'a')}},
          {"key", "fleet"}};
}

// The field a rejected body is blamed on: the message's prefix before ": ".
std::string blamed(const json& body) {
  auto r = parseJobRequest(body.dump());
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  return r.error().message.substr(0, r.error().message.find(": "));
}

TEST(JobRequest, ParsesEveryField) {
  auto body = validBody();
  body["copy_policy"] = true;
  body["keep_going"] = true;
  auto spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->from, "edge-a.local:5000");
  EXPECT_EQ(spec->to, "edge-b.local:5000");
  ASSERT_EQ(spec->repos.size(), 2u);
  EXPECT_EQ(spec->repos[0].tag, "v1");
  EXPECT_TRUE(spec->repos[1].digest.has_value());
  EXPECT_EQ(spec->keyName, "fleet");
  EXPECT_TRUE(spec->copyPolicy);
  EXPECT_TRUE(spec->keepGoing);
}

TEST(JobRequest, BooleansDefaultToFalseAndTagsToLatest) {
  json body = {{"from_registry", "a:5000"}, {"to_registry", "b:5000"}, {"repos", {"demo"}}, {"skip_verify", true}};
  auto spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->copyPolicy);
  EXPECT_FALSE(spec->keepGoing);
  EXPECT_TRUE(spec->skipVerify);
  EXPECT_EQ(spec->repos[0].tag, "latest");
}

TEST(JobRequest, EachBadFieldIsNamed) {
  auto without = [](const char* field) {
    auto b = validBody();
    b.erase(field);
    return b;
  };
  auto with = [](const char* field, json value) {
    auto b = validBody();
    b[field] = std::move(value);
    return b;
  };
  EXPECT_EQ(blamed(without("from_registry")), "from_registry");
  EXPECT_EQ(blamed(with("from_registry", 5000)), "from_registry");
  EXPECT_EQ(blamed(with("from_registry", "http://edge-a")), "from_registry");
  EXPECT_EQ(blamed(without("to_registry")), "to_registry");
  EXPECT_EQ(blamed(with("to_registry", "edge b")), "to_registry");
  EXPECT_EQ(blamed(without("repos")), "repos");
  EXPECT_EQ(blamed(with("repos", "robot:v1")), "repos");
  EXPECT_EQ(blamed(with("repos", json::array())), "repos");
  EXPECT_EQ(blamed(with("repos", {"ok:v1", "Bad/UPPER:v1"})), "repos[1]");
  EXPECT_EQ(blamed(with("repos", {"ok:v1", 7})), "repos[1]");
  EXPECT_EQ(blamed(with("repos", {"ok:v1", "ok:v2"})), "repos[1]");
  EXPECT_EQ(blamed(with("repos", {"ok:bad tag"})), "repos[0]");
  EXPECT_EQ(blamed(with("repos", {"../../etc:v1"})), "repos[0]");
  EXPECT_EQ(blamed(with("key", "")), "key");
  EXPECT_EQ(blamed(with("key", 1)), "key");
  EXPECT_EQ(blamed(with("skip_verify", true)), "key") << "key and skip_verify together";
  EXPECT_EQ(blamed(with("pub_key_pem", "-----BEGIN PUBLIC KEY-----")), "key") << "key and pub_key_pem together";
  EXPECT_EQ(blamed(without("key")), "key") << "no verification mode at all";
  EXPECT_EQ(blamed(with("skip_verify", "yes")), "skip_verify");
  EXPECT_EQ(blamed(with("copy_policy", "true")), "copy_policy");
  EXPECT_EQ(blamed(with("keep_going", 1)), "keep_going");
  EXPECT_EQ(blamed(with("pub_key_pem", 5)), "pub_key_pem");
  EXPECT_EQ(blamed(with("out", "/tmp/x")), "out") << "unknown fields are refused";
  EXPECT_EQ(blamed(json::array()), "body");
}

TEST(JobRequest, SkipVerifyFalseCountsAsAbsent) {
  auto b = validBody();
  b["skip_verify"] = false;
  EXPECT_TRUE(parseJobRequest(b.dump()).ok());
}

TEST(JobRequest, InvalidJsonIsABodyError) {
  auto r = parseJobRequest("{\"from_registry\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("body: ", 0), 0u);
}

TEST(JobRequest, IdempotencyKeysArePrintableAndBounded) {
  EXPECT_TRUE(validateIdempotencyKey("3f1c-attempt-1").ok());
  EXPECT_FALSE(validateIdempotencyKey("").ok());
  EXPECT_FALSE(validateIdempotencyKey("has space").ok());
  EXPECT_FALSE(validateIdempotencyKey(std::string(256, 'k')).ok());
}

}  // namespace
}  // namespace autonomy::api

namespace autonomy::api {
namespace {

// One key per host: LOCALHOST:6432 and localhost:6432 are one destination for the repo locks.
TEST(JobRequest, RegistryHostsAreCanonical) {
  auto body = validBody();
  body["from_registry"] = "EDGE-A.Local:5000";
  body["to_registry"] = "LOCALHOST:6432";
  auto spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->from, "edge-a.local:5000");
  EXPECT_EQ(spec->to, "localhost:6432");
}

TEST(JobRequest, LongOrCollidingNamesAreRefusedWithTheField) {
  auto body = validBody();
  body["from_registry"] = std::string(200000, 'a');
  EXPECT_EQ(blamed(body), "from_registry");
  body = validBody();
  body["repos"] = {std::string(200000, 'r') + ":v1"};
  EXPECT_EQ(blamed(body), "repos[0]");
  body = validBody();
  body["repos"] = {"app:v1", "catalog.json/app:v1"};
  EXPECT_EQ(blamed(body), "repos[1]");
  body["repos"] = {"app/seed.json:v1"};
  EXPECT_EQ(blamed(body), "repos[0]");
}

}  // namespace
}  // namespace autonomy::api
