// The archive tar: what we write GNU tar lists and extracts; what GNU tar writes (pax headers,
// long names) we read; truncation and damaged headers are errors naming the byte.
#include "engine/endpoint/Tar.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::endpoint {
namespace {

namespace fs = std::filesystem;
using testing::runCommand;
using testing::TempDir;

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeAll(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

std::string slice(const fs::path& archive, const TarMember& m) { return readAll(archive).substr(m.offset, m.size); }

TEST(Tar, WhatWeWriteGnuTarExtractsAndWeReadBack) {
  TempDir dir("tar");
  writeAll(dir.path() / "small", "hello\n");
  std::string big(1'500'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  writeAll(dir.path() / "big", big);
  writeAll(dir.path() / "empty", "");
  auto tar = TarWriter::create(dir.path() / "out.tar");
  ASSERT_TRUE(tar) << tar.error().message;
  ASSERT_TRUE(tar->addDirectory("blobs/"));
  ASSERT_TRUE(tar->addFile("blobs/small", dir.path() / "small"));
  ASSERT_TRUE(tar->addFile("blobs/big", dir.path() / "big"));
  ASSERT_TRUE(tar->addFile("empty", dir.path() / "empty"));
  ASSERT_TRUE(tar->finish());

  const fs::path x = dir.path() / "x";
  fs::create_directories(x);
  auto r = runCommand({"tar", "-xf", (dir.path() / "out.tar").string(), "-C", x.string()});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(readAll(x / "blobs" / "small"), "hello\n");
  EXPECT_EQ(readAll(x / "blobs" / "big"), big);
  EXPECT_TRUE(fs::exists(x / "empty"));

  auto members = scanTar(dir.path() / "out.tar");
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_EQ(members->size(), 3u);  // directories are not members one reads
  EXPECT_EQ(slice(dir.path() / "out.tar", members->at("blobs/small")), "hello\n");
  EXPECT_EQ(slice(dir.path() / "out.tar", members->at("blobs/big")), big);
  EXPECT_EQ(members->at("empty").size, 0u);
}

TEST(Tar, ReadsWhatGnuTarWritesIncludingPaxNames) {
  TempDir dir("tar");
  const std::string longName = std::string(120, 'n');
  fs::create_directories(dir.path() / "src" / "blobs" / "sha256");
  writeAll(dir.path() / "src" / "blobs" / "sha256" / longName, "long-named");
  writeAll(dir.path() / "src" / "index.json", "{}");
  auto r = runCommand(
      {"tar", "--format=pax", "-cf", (dir.path() / "gnu.tar").string(), "-C", (dir.path() / "src").string(), "."});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  auto members = scanTar(dir.path() / "gnu.tar");
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_TRUE(members->count("blobs/sha256/" + longName)) << "the pax path record names the member";
  EXPECT_EQ(slice(dir.path() / "gnu.tar", members->at("blobs/sha256/" + longName)), "long-named");
  EXPECT_EQ(slice(dir.path() / "gnu.tar", members->at("index.json")), "{}");
}

TEST(Tar, TruncatedDamagedAndEscapingArchivesAreRefused) {
  TempDir dir("tar");
  writeAll(dir.path() / "f", std::string(5000, 'a'));
  auto tar = TarWriter::create(dir.path() / "ok.tar");
  ASSERT_TRUE(tar);
  ASSERT_TRUE(tar->addFile("f", dir.path() / "f"));
  ASSERT_TRUE(tar->finish());
  const auto whole = readAll(dir.path() / "ok.tar");

  for (std::size_t cut : {whole.size() - 1024, std::size_t{3000}, std::size_t{100}}) {
    writeAll(dir.path() / "cut.tar", whole.substr(0, cut));
    auto r = scanTar(dir.path() / "cut.tar");
    ASSERT_FALSE(r) << "cut at " << cut;
    EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  }

  auto damaged = whole;
  damaged[130] = '7';  // inside the size field: the checksum no longer matches
  writeAll(dir.path() / "bad.tar", damaged);
  auto bad = scanTar(dir.path() / "bad.tar");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("checksum"), std::string::npos) << bad.error().message;

  fs::create_directories(dir.path() / "up");
  writeAll(dir.path() / "up" / "x", "x");
  auto r = runCommand({"tar", "-cf", (dir.path() / "escape.tar").string(), "-C", (dir.path() / "up").string(),
                       "--transform", "s,^,../,", "x"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  auto escape = scanTar(dir.path() / "escape.tar");
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message.find("leaves the archive"), std::string::npos) << escape.error().message;
}

}  // namespace
}  // namespace autonomy::endpoint
