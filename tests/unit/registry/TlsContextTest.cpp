#include "engine/registry/TlsContext.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/process/TempDir.hpp"

namespace autonomy::registry {
namespace {

namespace fs = std::filesystem;

// A ca.crt that is not a certificate makes makeTlsContext fail naming the file: proof of which
// folders it read.
fs::path plantBrokenCa(const fs::path& root, const std::string& folder) {
  fs::create_directories(root / folder);
  std::ofstream(root / folder / "ca.crt") << "not a certificate\n";
  return root / folder / "ca.crt";
}

TEST(TlsContext, HostWithoutPortAlsoReadsItsDefaultPortFolder) {
  testing::TempDir dir;
  const auto ca = plantBrokenCa(dir.path(), "registry.example:443");
  auto ctx = makeTlsContext("registry.example", {dir.path()});
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message.find(ca.string()), std::string::npos) << ctx.error().message;
}

TEST(TlsContext, HostWithAnotherPortReadsOnlyItsOwnFolder) {
  testing::TempDir dir;
  plantBrokenCa(dir.path(), "registry.example:443");
  plantBrokenCa(dir.path(), "registry.example");
  EXPECT_TRUE(makeTlsContext("registry.example:5000", {dir.path()}).ok());
}

}  // namespace
}  // namespace autonomy::registry
