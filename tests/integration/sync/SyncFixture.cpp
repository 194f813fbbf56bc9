#include "tests/integration/sync/SyncFixture.hpp"
#include "tests/support/process/TextFiles.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "engine/core/Base64.hpp"
#include "engine/core/Sha256.hpp"
#include "tests/support/process/Pki.hpp"

namespace autonomy::testing::syncit {

namespace {

std::filesystem::path v2Root(const RegistryProcess& reg) { return reg.storageDir() / "docker" / "registry" / "v2"; }

std::string bareHex(const std::string& digest) {
  const auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

}  // namespace

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void SyncFixture::SetUp() {
  auto opened = OciLayout::open(work() / "layout");
  ASSERT_TRUE(opened) << opened.error().message;
  layout_.emplace(std::move(*opened));
  builder_ = std::make_unique<ImageBuilder>(*layout_);
}

RegistryProcess& SyncFixture::a() {
  if (!a_) a_ = std::make_unique<RegistryProcess>();
  return *a_;
}

RegistryProcess& SyncFixture::b() {
  if (!b_) b_ = std::make_unique<RegistryProcess>();
  return *b_;
}

RegistryProcess& SyncFixture::startA(RegistryOptions options) {
  a_ = std::make_unique<RegistryProcess>(std::move(options));
  return *a_;
}

RegistryProcess& SyncFixture::startB(RegistryOptions options) {
  b_ = std::make_unique<RegistryProcess>(std::move(options));
  return *b_;
}

BuiltManifest SyncFixture::buildImage(const std::vector<LayerSpec>& layers, const std::string& label) {
  ImageSpec spec(layers);
  if (!label.empty()) spec.labels["org.autonomy.test.label"] = label;
  auto built = builder_->image(spec);
  if (!built) throw std::runtime_error("build image: " + built.error().message);
  return *built;
}

BuiltManifest SyncFixture::buildSmallImage(std::uint64_t seed) {
  return buildImage({LayerSpec(kSmallLayer, seed)}, "seed-" + std::to_string(seed));
}

BuiltManifest SyncFixture::buildIndex(const std::vector<std::string>& platforms, const std::vector<LayerSpec>& layers) {
  auto built = builder_->index(multiPlatformSpec(platforms, layers));
  if (!built) throw std::runtime_error("build index: " + built.error().message);
  return *built;
}

void SyncFixture::push(RegistryProcess& reg, const BuiltManifest& manifest, const std::string& repo,
                       const std::string& tag, const SkopeoOptions& options) {
  auto st = pushImage(*layout_, manifest, reg.host(), repo, tag, options);
  if (!st) throw std::runtime_error("push " + reg.host() + "/" + repo + ":" + tag + ": " + st.error().message);
}

BuiltManifest SyncFixture::pushSmallImage(RegistryProcess& reg, const std::string& repo, const std::string& tag,
                                          std::uint64_t seed) {
  auto image = buildSmallImage(seed);
  push(reg, image, repo, tag);
  return image;
}

std::vector<std::string> SyncFixture::cliPrefix() const { return {std::string(AUTONOMY_BIN_DIR) + "/autonomy"}; }

std::map<std::string, std::string> SyncFixture::cliEnv() const {
  // Hermetic: no credentials from the machine running the tests. helpers/ comes first in PATH
  // for the credential helpers a test writes there.
  const char* path = std::getenv("PATH");
  return {{"HOME", (work() / "home").string()},
          {"PATH", (work() / "helpers").string() + ":" + (path ? path : "/usr/bin:/bin")}};
}

std::vector<std::string> SyncFixture::cliUnsetEnv() const {
  return {"REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR", "http_proxy", "https_proxy",
          "HTTP_PROXY",         "HTTPS_PROXY",   "ALL_PROXY",       "all_proxy",  "no_proxy"};
}

std::filesystem::path SyncFixture::freshOutDir() { return work() / ("out-" + std::to_string(++outDirs_)); }

CliRun SyncFixture::runCli(std::vector<std::string> args, std::optional<std::filesystem::path> out) {
  CliRun run;
  run.out = out ? *out : freshOutDir();
  auto argv = cliPrefix();
  argv.insert(argv.end(), args.begin(), args.end());
  if (!run.out.empty()) {
    argv.push_back("--out");
    argv.push_back(run.out.string());
  }
  std::filesystem::create_directories(work() / "home");
  RunOptions options;
  options.env = cliEnv();
  options.unsetEnv = cliUnsetEnv();
  options.timeout = std::chrono::seconds(60);
  run.result = runCommand(argv, options);
  return run;
}

CliRun SyncFixture::sync(const std::string& from, const std::string& to, const std::vector<std::string>& repos,
                         const std::vector<std::string>& extra, bool insecure,
                         std::optional<std::filesystem::path> out) {
  std::vector<std::string> args{"registry",      "sync", "--from-registry", from,
                                "--to-registry", to,     "--repos",         join(repos)};
  if (insecure) args.push_back("--allow-insecure-registry");
  args.insert(args.end(), extra.begin(), extra.end());
  return runCli(std::move(args), std::move(out));
}

CliRun SyncFixture::sync(const std::vector<std::string>& repos, const std::vector<std::string>& extra) {
  return sync(a().host(), b().host(), repos, extra);
}

std::filesystem::path SyncFixture::writeFile(const std::string& name, const std::string& content) {
  auto path = work() / name;
  std::filesystem::create_directories(path.parent_path());
  pki::writeFile(path, content, 0600);
  return path;
}

std::filesystem::path SyncFixture::writeAuthFile(const std::string& name,
                                                 const std::map<std::string, std::string>& hostCreds) {
  nlohmann::json auths = nlohmann::json::object();
  for (const auto& [host, creds] : hostCreds) auths[host] = {{"auth", base64Encode(creds)}};
  return writeFile(name, nlohmann::json{{"auths", auths}}.dump(2));
}

nlohmann::json SyncFixture::readJson(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error("no file " + path.string());
  return nlohmann::json::parse(readTextFileOrThrow(path));
}

nlohmann::json SyncFixture::seedJson(const CliRun& run, const std::string& repo) {
  const auto path = run.out / repo / "seed.json";
  if (!std::filesystem::exists(path))
    throw std::runtime_error("no seed.json at " + path.string() + "; " + run.describe());
  return readJson(path);
}

nlohmann::json SyncFixture::catalogJson(const CliRun& run) {
  const auto path = run.out / "catalog.json";
  if (!std::filesystem::exists(path))
    throw std::runtime_error("no catalog.json at " + path.string() + "; " + run.describe());
  return readJson(path);
}

nlohmann::json SyncFixture::catalogLine(const nlohmann::json& catalog, const std::string& repo) {
  for (const auto& line : catalog.at("repos"))
    if (line.value("repo", "") == repo) return line;
  ADD_FAILURE() << "catalog has no line for " << repo << ":\n" << catalog.dump(2);
  return nlohmann::json::object();
}

std::string SyncFixture::tagDigest(const RegistryProcess& reg, const std::string& repo, const std::string& tag) {
  const auto link = v2Root(reg) / "repositories" / repo / "_manifests" / "tags" / tag / "current" / "link";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(link, ec)) return "";
  return trimTrailing(readTextFileOrThrow(link));
}

bool SyncFixture::hasBlob(const RegistryProcess& reg, const std::string& digest) {
  std::error_code ec;
  return std::filesystem::is_regular_file(reg.blobDataPath(digest), ec);
}

std::string SyncFixture::blobBytes(const RegistryProcess& reg, const std::string& digest) {
  return readTextFileOrThrow(reg.blobDataPath(digest));
}

bool SyncFixture::repoHasLayerLink(const RegistryProcess& reg, const std::string& repo, const std::string& digest) {
  const auto link = v2Root(reg) / "repositories" / repo / "_layers" / "sha256" / bareHex(digest) / "link";
  std::error_code ec;
  return std::filesystem::is_regular_file(link, ec);
}

bool SyncFixture::repoExists(const RegistryProcess& reg, const std::string& repo) {
  std::error_code ec;
  return std::filesystem::exists(v2Root(reg) / "repositories" / repo, ec);
}

std::string SyncFixture::sha256Of(const std::string& bytes) { return "sha256:" + Sha256::hex(bytes); }

LogMark SyncFixture::mark(const RegistryProcess& reg) { return LogMark{reg.logText().size()}; }

std::vector<std::string> SyncFixture::requestsSince(const RegistryProcess& reg, LogMark from, const std::string& method,
                                                    const std::string& pathPart) {
  static const std::regex kRequest(R"rx("([A-Z]+) (\S+) HTTP/[0-9.]+")rx");
  const std::string text = reg.logText();
  std::istringstream log(from.offset < text.size() ? text.substr(from.offset) : std::string());
  std::vector<std::string> out;
  for (std::string line; std::getline(log, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, kRequest)) continue;
    if (!method.empty() && m[1].str() != method) continue;
    if (!pathPart.empty() && !contains(m[2].str(), pathPart)) continue;
    out.push_back(m[1].str() + " " + m[2].str());
  }
  return out;
}

}  // namespace autonomy::testing::syncit
