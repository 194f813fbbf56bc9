#pragma once
// A unique scratch directory for one test fixture. Removed on destruction so parallel ctest runs
// leave nothing behind; AUTONOMY_KEEP_TEST_DIRS=1 keeps it (and says where) for post-mortems.
#include <filesystem>
#include <string_view>

namespace autonomy::testing {

class TempDir {
 public:
  // Creates "<$TMPDIR or /tmp>/autonomy-<prefix>-XXXXXX". Throws std::runtime_error on failure.
  explicit TempDir(std::string_view prefix = "test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& child) const { return path_ / child; }

  // True when AUTONOMY_KEEP_TEST_DIRS=1: directories survive the test.
  static bool keepRequested();

 private:
  void removeNow() noexcept;

  std::filesystem::path path_;
};

}  // namespace autonomy::testing
