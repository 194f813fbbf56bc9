#include "engine/verify/CosignPayload.hpp"

#include <gtest/gtest.h>

using namespace autonomy;
using namespace autonomy::verify;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kOther = "sha256:" + std::string(64, 'b');

std::string payload(const std::string& digest, const std::string& optional = "null",
                    const std::string& type = "cosign container image signature") {
  return R"({"critical":{"identity":{"docker-reference":"edge-a:5000/fleet/nav"},"image":{"docker-manifest-digest":")" +
         digest + R"("},"type":")" + type + R"("},"optional":)" + optional + "}";
}

oci::Digest digest(const std::string& text) { return *oci::Digest::parse(text); }

void expectError(const Result<CosignPayload>& r, const std::string& text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerification);
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

}  // namespace

TEST(CosignPayload, ParsesCosignLayout) {
  auto p = parseCosignPayload(payload(kDigest), digest(kDigest));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->manifestDigest.str(), kDigest);
  EXPECT_EQ(p->dockerReference, "edge-a:5000/fleet/nav");
  EXPECT_EQ(p->optionalJson, "null");
  EXPECT_TRUE(p->optional.empty());
}

TEST(CosignPayload, CapturesOptionalObject) {
  auto p = parseCosignPayload(payload(kDigest, R"({"creator":"ci","timestamp":1657296609,"tags":["a"]})"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->optional.at("creator"), "ci");
  EXPECT_EQ(p->optional.at("timestamp"), "1657296609");
  EXPECT_EQ(p->optional.at("tags"), R"(["a"])");
  EXPECT_NE(p->optionalJson.find("\"creator\":\"ci\""), std::string::npos);
}

TEST(CosignPayload, AcceptsMissingOptionalAndIgnoresMemberOrder) {
  const std::string reordered = R"({"critical":{"type":"cosign container image signature",
    "image":{"docker-manifest-digest":")" +
                                kDigest + R"("},"identity":{"docker-reference":"r"}}})";
  auto p = parseCosignPayload(reordered, digest(kDigest));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->dockerReference, "r");
}

TEST(CosignPayload, RejectsAnotherDigestAsReplay) {
  expectError(parseCosignPayload(payload(kOther), digest(kDigest)), "names another digest " + kOther);
}

TEST(CosignPayload, RejectsWrongTypeAndBadStructure) {
  expectError(parseCosignPayload(payload(kDigest, "null", "atomic container signature")),
              "critical.type is 'atomic container signature'");
  expectError(parseCosignPayload("not json"), "payload is not JSON");
  expectError(parseCosignPayload("[1]"), "is not a JSON object");
  expectError(parseCosignPayload(R"({"optional":null})"), "no \"critical\" object");
  expectError(parseCosignPayload(R"({"critical":{"type":"cosign container image signature"}})"),
              "no critical.image.docker-manifest-digest");
  expectError(parseCosignPayload(payload("sha256:xyz")), "critical.image.docker-manifest-digest: invalid digest");
  expectError(parseCosignPayload(payload(kDigest, "\"text\"")), "neither null nor an object");
  expectError(parseCosignPayload(R"({"critical":{"identity":"r","image":{"docker-manifest-digest":")" + kDigest +
                                 R"("},"type":"cosign container image signature"}})"),
              "critical.identity is not an object");
}
