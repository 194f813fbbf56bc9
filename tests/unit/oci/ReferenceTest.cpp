#include "engine/oci/Reference.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace autonomy::oci;

TEST(RepoRef, BareRepoDefaultsToLatest) {
  auto r = RepoRef::parse("demo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->repo, "demo");
  EXPECT_EQ(r->tag, "latest");
  EXPECT_FALSE(r->digest);
}

TEST(RepoRef, NestedRepoWithTag) {
  auto r = RepoRef::parse("fleet/nav-stack:v2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->repo, "fleet/nav-stack");
  EXPECT_EQ(r->tag, "v2");
  EXPECT_EQ(r->str(), "fleet/nav-stack:v2");
}

TEST(RepoRef, DigestReferenceHasNoDefaultTag) {
  const std::string d = "sha256:" + std::string(64, 'a');
  auto r = RepoRef::parse("demo@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->reference(), d);
  EXPECT_EQ(r->str(), "demo@" + d);
}

TEST(RepoRef, RejectsPathTraversalUpperCaseEmptyAndTooLong) {
  for (const std::string& bad :
       std::vector<std::string>{"../x", "x/../y", "Upper", "", "a//b", "/a", "a/", "a:", "a:-bad", "a@sha256:zz",
                                std::string(256, 'a'), "a:" + std::string(129, 't'), "a b", "a_-b"}) {
    EXPECT_FALSE(RepoRef::parse(bad).ok()) << bad;
  }
}

TEST(RepoRef, AcceptsSeparatorsOfTheGrammar) {
  for (const std::string& good :
       std::vector<std::string>{"a.b", "a_b", "a__b", "a---b", "a/b/c/d", "robot-behavior:v1", "x:V1.0_rc-1"}) {
    EXPECT_TRUE(RepoRef::parse(good).ok()) << good;
  }
}

TEST(RepoRef, ErrorSaysWhatIsWrong) {
  auto r = RepoRef::parse("Fleet/nav");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'Fleet'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("lowercase"), std::string::npos);
}

TEST(ImageRef, ParsesHostPortRepoTag) {
  auto r = ImageRef::parse("127.0.0.1:5000/fleet/nav:v2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "127.0.0.1:5000");
  EXPECT_EQ(r->ref.repo, "fleet/nav");
  EXPECT_EQ(r->ref.tag, "v2");
}

TEST(ImageRef, RejectsSchemeAndMissingHost) {
  EXPECT_FALSE(ImageRef::parse("demo").ok());
  EXPECT_FALSE(ImageRef::parse("http://h:5000/demo").ok());
}

TEST(RegistryHost, Validates) {
  EXPECT_TRUE(validateRegistryHost("edge-a.local:5000").ok());
  EXPECT_TRUE(validateRegistryHost("127.0.0.1:5000").ok());
  EXPECT_TRUE(validateRegistryHost("[::1]:5000").ok());
  EXPECT_FALSE(validateRegistryHost("").ok());
  EXPECT_FALSE(validateRegistryHost("http://x").ok());
  EXPECT_FALSE(validateRegistryHost("a/b").ok());
}

TEST(Digest, ParsesAndRejects) {
  EXPECT_TRUE(Digest::parse("sha256:" + std::string(64, '0')).ok());
  EXPECT_FALSE(Digest::parse("sha256:" + std::string(63, '0')).ok());
  EXPECT_FALSE(Digest::parse("sha256:" + std::string(64, 'A')).ok());
  EXPECT_FALSE(Digest::parse("md5:abc").ok());
  EXPECT_EQ(Digest::ofBytes("").str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, AttachmentTag) {
  auto d = Digest::parse("sha256:" + std::string(64, 'b'));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->attachmentTag(".sig"), "sha256-" + std::string(64, 'b') + ".sig");
}
