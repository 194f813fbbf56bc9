#include "tests/support/process/TempDir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace autonomy::testing {

namespace {

std::filesystem::path tempRoot() {
  const char* env = std::getenv("TMPDIR");
  if (env != nullptr && *env != '\0') return env;
  return "/tmp";
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (tempRoot() / ("autonomy-" + std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("create temp dir " + pattern + ": " + std::strerror(errno) +
                             " (check that $TMPDIR exists and is writable)");
  }
  path_ = buffer.data();
}

TempDir::~TempDir() { removeNow(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    removeNow();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

bool TempDir::keepRequested() {
  const char* env = std::getenv("AUTONOMY_KEEP_TEST_DIRS");
  return env != nullptr && std::string_view(env) == "1";
}

void TempDir::removeNow() noexcept {
  if (path_.empty()) return;
  if (keepRequested()) {
    std::cerr << "[autonomy] keeping test dir " << path_.string() << "\n";
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  path_.clear();
}

}  // namespace autonomy::testing
