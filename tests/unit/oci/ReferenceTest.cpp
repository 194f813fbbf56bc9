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

// The grammar matched by hand, in linear time: cases the regexes used to decide, and inputs long
// enough to have overflowed std::regex's recursion.
TEST(RepoRef, HandMatcherAgreesWithTheGrammar) {
  for (const std::string& bad :
       std::vector<std::string>{"a.", ".a", "a..b", "a___b", "a-", "-a", "a.-b", "a_.b", "ä", "a\tb", "a\nb", "a\\b"})
    EXPECT_FALSE(validateRepository(bad).ok()) << bad;
  for (const std::string& good : std::vector<std::string>{"a", "0", "a-b-c", "a.b_c__d-e", "a1/b2/c3"})
    EXPECT_TRUE(validateRepository(good).ok()) << good;
  for (const std::string& bad : std::vector<std::string>{".v", "-v", "v/1", "v:1", "v 1", std::string(129, 'v')})
    EXPECT_FALSE(validateTag(bad).ok()) << bad;
  for (const std::string& good : std::vector<std::string>{"_v", "V1", "1.2.3-rc_4", std::string(128, 'v')})
    EXPECT_TRUE(validateTag(good).ok()) << good;
}

TEST(RegistryHost, HandMatcherAgreesWithTheGrammar) {
  for (const std::string& good :
       std::vector<std::string>{"localhost", "a", "a-b.c-d", "host:1", "host:65535", "[fe80::1]", "[::1]:1"})
    EXPECT_TRUE(validateRegistryHost(good).ok()) << good;
  for (const std::string& bad :
       std::vector<std::string>{"-a", "a-", "a..b", ".a", "a.", "a:", "a:123456", "a:b", "[]", "[::1", "[g::1]", "a b",
                                "a_b", "a:5000:1", ":5000", "[::1]5000", "\x01host"})
    EXPECT_FALSE(validateRegistryHost(bad).ok()) << bad;
}

TEST(RepoRef, VeryLongInputIsRefusedQuicklyWithAShortMessage) {
  const std::string longName(200000, 'a');
  for (const auto& text : {longName, longName + ":v1", "a:" + longName, std::string(200000, '-')}) {
    auto r = RepoRef::parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.error().message.size(), 400u) << r.error().message.substr(0, 400);
  }
  const auto host = validateRegistryHost(std::string(200000, 'h'));
  ASSERT_FALSE(host.ok());
  EXPECT_LT(host.error().message.size(), 400u);
  // The old regex recursed once per character of a component: this one would crash it.
  EXPECT_FALSE(validateRepository(std::string(250, 'a') + "." + std::string(3, 'b') + "/" + longName).ok());
}

TEST(RepoRef, ControlCharactersInMessagesAreEscaped) {
  auto r = RepoRef::parse("evil\nlevel=error msg=forged");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\\x0a"), std::string::npos) << r.error().message;
}

TEST(RegistryHost, CanonicalSpellingHasNoCase) {
  EXPECT_EQ(canonicalRegistryHost("LOCALHOST:6432"), "localhost:6432");
  EXPECT_EQ(canonicalRegistryHost("Edge-A.Local:5000"), "edge-a.local:5000");
  EXPECT_EQ(canonicalRegistryHost("[FE80::1]:5000"), "[fe80::1]:5000");
  auto ref = ImageRef::parse("EDGE-A.local:5000/fleet/nav:V2");
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(ref->host, "edge-a.local:5000");
  EXPECT_EQ(ref->ref.tag, "V2");  // tags keep their case
}

TEST(RegistryHost, CanonicalSpellingDropsTheDefaultHttpsPort) {
  EXPECT_EQ(canonicalRegistryHost("Registry.Example:443"), "registry.example");
  EXPECT_EQ(canonicalRegistryHost("[FE80::1]:443"), "[fe80::1]");
  EXPECT_EQ(canonicalRegistryHost("registry.example:4430"), "registry.example:4430");
  EXPECT_EQ(canonicalRegistryHost("registry.example:1443"), "registry.example:1443");
  EXPECT_EQ(canonicalRegistryHost("[::443]"), "[::443]");
  EXPECT_EQ(canonicalRegistryHost(":443"), ":443");  // not a host: left for validation to refuse
}
