#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/AtomicFile.hpp"
#include "engine/core/Base64.hpp"
#include "engine/core/Sha256.hpp"

using namespace autonomy;

TEST(Base64, RoundTripsAllLengths) {
  std::string s;
  for (int i = 0; i < 70; ++i) {
    auto enc = base64Encode(s);
    auto dec = base64Decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
    s.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(base64Encode("user:pass"), "dXNlcjpwYXNz");
}

TEST(Base64, RejectsForeignCharacters) {
  EXPECT_FALSE(base64Decode("ab$d"));
  EXPECT_FALSE(base64Decode("ab=c"));
}

TEST(Sha256, StreamingEqualsOneShot) {
  Sha256 h;
  h.update("hello ");
  h.update("world");
  EXPECT_EQ(h.hexDigest(), Sha256::hex("hello world"));
}

TEST(AtomicFile, ReplacesWholeFileAndLeavesNoTemp) {
  auto dir = std::filesystem::temp_directory_path() / ("atomic-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(writeFileAtomically(dir / "a/b.json", "one").ok());
  ASSERT_TRUE(writeFileAtomically(dir / "a/b.json", "two").ok());
  std::ifstream in(dir / "a/b.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "two");
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir / "a")) ++files;
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
}
