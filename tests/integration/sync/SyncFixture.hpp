#pragma once
// Shared fixture for the sync engine's end-to-end tests: two real docker-registry processes on
// 127.0.0.1 (A = source, B = peer), small reproducible images pushed to A with skopeo, and the
// real `autonomy` binary driven as an operator would. Assertions read what the registries hold
// (their storage trees and access logs), not only the product's own account of what it did.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/LayerWriter.hpp"
#include "tests/support/images/OciLayout.hpp"
#include "tests/support/images/Push.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing::syncit {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * 1024;
inline constexpr std::uint64_t kSmallLayer = 64 * kKiB;

// One run of the CLI: its output and the --out directory it wrote (empty when none was given).
struct CliRun {
  RunResult result;
  std::filesystem::path out;

  int exitCode() const { return result.exitCode; }
  std::string describe() const { return result.describe(); }
};

// A position in a registry's log: requests logged after it are the ones a run made.
struct LogMark {
  std::size_t offset = 0;
};

class SyncFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  // Registries start on first use with default options (plain HTTP, anonymous), or explicitly.
  RegistryProcess& a();
  RegistryProcess& b();
  RegistryProcess& startA(RegistryOptions options);
  RegistryProcess& startB(RegistryOptions options);

  const std::filesystem::path& work() const { return work_.path(); }
  ImageBuilder& builder() { return *builder_; }
  OciLayout& layout() { return *layout_; }

  // A single-platform image; `label` varies the config so images with equal layers differ.
  BuiltManifest buildImage(const std::vector<LayerSpec>& layers, const std::string& label = "");
  // One 64 KiB layer seeded by `seed`.
  BuiltManifest buildSmallImage(std::uint64_t seed);
  BuiltManifest buildIndex(const std::vector<std::string>& platforms, const std::vector<LayerSpec>& layers);
  // Pushes with skopeo (curl for shapes skopeo refuses); throws on failure.
  void push(RegistryProcess& reg, const BuiltManifest& manifest, const std::string& repo, const std::string& tag,
            const SkopeoOptions& options = {});
  BuiltManifest pushSmallImage(RegistryProcess& reg, const std::string& repo, const std::string& tag,
                               std::uint64_t seed);

  // `autonomy <args...>` with a hermetic environment; `--out <fresh dir>` is appended unless
  // `out` is given explicitly (an empty path: no --out at all).
  CliRun runCli(std::vector<std::string> args, std::optional<std::filesystem::path> out = std::nullopt);
  // `registry sync --from-registry F --to-registry T --repos R1,R2 [--allow-insecure-registry] <extra...>`
  CliRun sync(const std::string& from, const std::string& to, const std::vector<std::string>& repos,
              const std::vector<std::string>& extra, bool insecure = true,
              std::optional<std::filesystem::path> out = std::nullopt);
  CliRun sync(const std::vector<std::string>& repos, const std::vector<std::string>& extra = {"--skip-verify"});
  std::filesystem::path freshOutDir();
  std::vector<std::string> cliPrefix() const;  // {<bin>/autonomy}
  std::map<std::string, std::string> cliEnv() const;
  std::vector<std::string> cliUnsetEnv() const;

  // Writes a file under work() and returns its path.
  std::filesystem::path writeFile(const std::string& name, const std::string& content);
  // containers auth.json: {"auths": {host: {"auth": base64("user:pass")}}}
  std::filesystem::path writeAuthFile(const std::string& name, const std::map<std::string, std::string>& hostCreds);

 public:
  // Static views (public: free helper functions in the test files use them too).
  static nlohmann::json readJson(const std::filesystem::path& path);
  static nlohmann::json seedJson(const CliRun& run, const std::string& repo);
  static nlohmann::json catalogJson(const CliRun& run);
  // The catalog line for `repo` (fails the test if absent).
  static nlohmann::json catalogLine(const nlohmann::json& catalog, const std::string& repo);

  // Storage-level views of a registry.
  static std::string tagDigest(const RegistryProcess& reg, const std::string& repo, const std::string& tag);
  static bool hasBlob(const RegistryProcess& reg, const std::string& digest);
  static std::string blobBytes(const RegistryProcess& reg, const std::string& digest);
  // The repo links the blob as a layer (pushed or mounted into it), i.e. GET /v2/<repo>/blobs/<d> works.
  static bool repoHasLayerLink(const RegistryProcess& reg, const std::string& repo, const std::string& digest);
  static bool repoExists(const RegistryProcess& reg, const std::string& repo);
  // sha256:<hex> of a blob data file as stored, hashed here.
  static std::string sha256Of(const std::string& bytes);

  // Access log: requests made after `mark` ("METHOD /path" as logged), optionally filtered.
  static LogMark mark(const RegistryProcess& reg);
  static std::vector<std::string> requestsSince(const RegistryProcess& reg, LogMark mark,
                                                const std::string& method = "", const std::string& pathPart = "");
  static std::vector<std::string> requestsFor(const RegistryProcess& reg, const std::string& method,
                                              const std::string& pathPart) {
    return requestsSince(reg, LogMark{}, method, pathPart);
  }

 private:
  TempDir work_{"sync-it"};
  std::optional<OciLayout> layout_;
  std::unique_ptr<ImageBuilder> builder_;
  std::unique_ptr<RegistryProcess> a_;
  std::unique_ptr<RegistryProcess> b_;
  int outDirs_ = 0;
};

// Joins with a separator ("a,b,c").
std::string join(const std::vector<std::string>& items, const std::string& sep = ",");
bool contains(const std::string& haystack, const std::string& needle);
std::string lower(std::string text);

}  // namespace autonomy::testing::syncit
