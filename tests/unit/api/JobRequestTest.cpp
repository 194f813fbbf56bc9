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

// The field a rejected body is blamed on (Error::field), which the message also starts with.
std::string blamed(const json& body) {
  auto r = parseJobRequest(body.dump());
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  EXPECT_EQ(r.error().message.rfind(r.error().field + ": ", 0), 0u) << r.error().message;
  return r.error().field;
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
  EXPECT_EQ(blamed(with("repos", {"ok:v1", "ok:v1"})), "repos[1]");
  EXPECT_EQ(blamed(with("repos", {"ok:v1", "ok:v2"})), "(accepted)") << "several tags of one repo";
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

TEST(JobRequest, EitherEndMayBeALayoutOrAnArchivePath) {
  auto body = validBody();
  body.erase("to_registry");
  body["to_archive"] = "/media/usb/./fleet.tar";
  auto spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->toKind, endpoint::EndpointKind::kArchive);
  EXPECT_EQ(spec->to, "/media/usb/fleet.tar") << "kept lexically normal";
  EXPECT_EQ(spec->fromKind, endpoint::EndpointKind::kRegistry);

  body = validBody();
  body.erase("from_registry");
  body["from_layout"] = "/media/usb/fleet/";
  spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->fromKind, endpoint::EndpointKind::kLayout);
  EXPECT_EQ(spec->from, "/media/usb/fleet");
}

TEST(JobRequest, BadEndsAreNamed) {
  auto local = [](const char* drop, const char* field, json value) {
    auto b = validBody();
    b.erase(drop);
    b[field] = std::move(value);
    return b;
  };
  EXPECT_EQ(blamed(local("to_registry", "to_layout", "relative/dir")), "to_layout");
  EXPECT_EQ(blamed(local("to_registry", "to_layout", "/media/usb/../../etc")), "to_layout");
  EXPECT_EQ(blamed(local("to_registry", "to_archive", "")), "to_archive");
  EXPECT_EQ(blamed(local("to_registry", "to_archive", 7)), "to_archive");
  EXPECT_EQ(blamed(local("from_registry", "from_archive", std::string(5000, 'a'))), "from_archive");
  auto both = validBody();
  both["to_layout"] = "/media/usb/x";
  EXPECT_EQ(blamed(both), "to_layout") << "to_registry and to_layout together";
  auto bothLocal = local("from_registry", "from_layout", "/media/usb/a");
  bothLocal.erase("to_registry");
  bothLocal["to_archive"] = "/media/usb/b.tar";
  EXPECT_EQ(blamed(bothLocal), "to_archive") << "one end must be a registry";
  EXPECT_EQ(blamed(local("to_registry", "to_tape", "/dev/st0")), "to_tape") << "not a field";
}

TEST(JobRequest, ARepoMayBeATagSelection) {
  auto body = validBody();
  body["repos"] = {"robot-behavior:v1",
                   {{"repo", "fleet/nav"}, {"semver", "^1.2"}, {"keep_latest", 3}},
                   {{"repo", "fleet/map"}, {"all", true}}};
  auto spec = parseJobRequest(body.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ASSERT_EQ(spec->repos.size(), 1u);
  ASSERT_EQ(spec->selections.size(), 2u);
  EXPECT_EQ(spec->selections[0].repo, "fleet/nav");
  EXPECT_EQ(spec->selections[0].tags.describe(), "semver '^1.2', keep_latest 3");
  EXPECT_EQ(spec->selections[1].tags.kind(), oci::TagSelector::Kind::kAll);
  EXPECT_EQ(oci::toJson(spec->selections[0]), body["repos"][1]) << "the stored form is the request's";

  body["repos"] = {{{"repo", "fleet/nav"}, {"tag_regex", "^v2"}}};
  EXPECT_TRUE(parseJobRequest(body.dump()).ok()) << "selections alone make a job";
}

TEST(JobRequest, BadSelectionsNameTheFieldInside) {
  auto with = [](json selection) {
    auto b = validBody();
    b["repos"] = {"ok:v1", std::move(selection)};
    return b;
  };
  EXPECT_EQ(blamed(with({{"semver", "^1"}})), "repos[1].repo");
  EXPECT_EQ(blamed(with({{"repo", "Bad"}, {"all", true}})), "repos[1].repo");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"semver", "banana"}})), "repos[1].semver");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"tag_regex", "v1["}})), "repos[1].tag_regex");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"tags", {"v1", "sha256-abc"}}})), "repos[1].tags[1]");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"tags", {"v1"}}, {"keep_latest", 1}})), "repos[1].keep_latest");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"all", true}, {"keep_latest", 0}})), "repos[1].keep_latest");
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"all", true}, {"semver", "^1"}})), "repos[1].all") << "two rules";
  EXPECT_EQ(blamed(with({{"repo", "a"}})), "repos[1].tags") << "no rule";
  EXPECT_EQ(blamed(with({{"repo", "a"}, {"all", true}, {"latest", 2}})), "repos[1].latest") << "unknown field";
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
