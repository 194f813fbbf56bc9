#include "tests/integration/verify/VerifyFixture.hpp"
#include "tests/support/process/TextFiles.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "engine/oci/MediaTypes.hpp"
#include "tests/support/process/Pki.hpp"

namespace autonomy::testing::verifyit {

namespace {

void must(const Status& st, const std::string& what) {
  if (!st) throw std::runtime_error(what + ": " + st.error().message);
}

std::filesystem::path v2Root(const RegistryProcess& reg) { return reg.storageDir() / "docker" / "registry" / "v2"; }

std::vector<std::string> logLines(const RegistryProcess& reg, const std::string& repo, bool writesOnly) {
  std::vector<std::string> out;
  std::istringstream log(reg.logText());
  const std::string path = " /v2/" + repo + "/";
  for (std::string line; std::getline(log, line);) {
    if (line.find(path) == std::string::npos) continue;
    if (!writesOnly) {
      out.push_back(line);
      continue;
    }
    for (const char* method : {"\"POST", "\"PUT", "\"PATCH", "\"DELETE"})
      if (line.find(std::string(method) + path) != std::string::npos) out.push_back(line);
  }
  return out;
}

}  // namespace

void VerifyIntegration::SetUp() {
  auto opened = OciLayout::open(work() / "layout");
  ASSERT_TRUE(opened) << opened.error().message;
  layout_.emplace(std::move(*opened));
  builder_ = std::make_unique<ImageBuilder>(*layout_);
}

RegistryProcess& VerifyIntegration::registry(int i) {
  if (!registries_[i]) registries_[i] = std::make_unique<RegistryProcess>();
  return *registries_[i];
}

BuiltManifest VerifyIntegration::buildImage(std::uint64_t seed) {
  ImageSpec spec({LayerSpec(kLayerBytes, seed)});
  spec.labels["org.autonomy.test.seed"] = std::to_string(seed);
  auto built = builder_->image(spec);
  if (!built) throw std::runtime_error("build image: " + built.error().message);
  return *built;
}

void VerifyIntegration::push(RegistryProcess& reg, const BuiltManifest& manifest, const std::string& repo,
                             const std::string& tag) {
  must(pushImage(*layout_, manifest, reg.host(), repo, tag), "push " + reg.host() + "/" + repo + ":" + tag);
}

PushedSignature VerifyIntegration::pushSignature(RegistryProcess& reg, const std::string& repo,
                                                 const oci::Digest& subject,
                                                 const std::vector<SignedPayload>& payloads) {
  const auto sig = buildSignatureManifest(subject, payloads);
  std::vector<std::string> blobs;
  for (const auto& [digest, bytes] : sig.blobs) blobs.push_back(bytes);
  auto built = builder_->raw(RawManifest(sig.manifest, std::string(oci::media::kOciManifest), blobs));
  if (!built) throw std::runtime_error("build .sig manifest: " + built.error().message);
  push(reg, *built, repo, sig.tag);
  return PushedSignature{sig.tag, built->digest};
}

std::string VerifyIntegration::identityFor(const RegistryProcess& reg, const std::string& repo) {
  return reg.host() + "/" + repo;
}

BuiltManifest VerifyIntegration::pushSignedImage(RegistryProcess& reg, const std::string& repo, const std::string& tag,
                                                 std::uint64_t seed, const CosignSigner& signer,
                                                 PushedSignature* signatureOut) {
  auto image = buildImage(seed);
  push(reg, image, repo, tag);
  auto sig = pushSignature(reg, repo, image.digest, {signer.signImage(image.digest, identityFor(reg, repo))});
  if (signatureOut != nullptr) *signatureOut = sig;
  return image;
}

std::filesystem::path VerifyIntegration::writeFile(const std::string& name, const std::string& content) {
  auto path = work() / name;
  pki::writeFile(path, content);
  return path;
}

std::filesystem::path VerifyIntegration::writeKey(const CosignSigner& signer, const std::string& name) {
  return writeFile(name, signer.publicPem());
}

CliRun VerifyIntegration::runCli(std::vector<std::string> args, const std::filesystem::path& out) {
  CliRun run;
  run.out = out.empty() ? work() / ("out-" + std::to_string(++runs_)) : out;
  args.insert(args.begin(), std::string(AUTONOMY_BIN_DIR) + "/autonomy");
  args.push_back("--out");
  args.push_back(run.out.string());
  RunOptions options;
  // Hermetic: no credentials, proxies or certs.d of the machine running the tests.
  std::filesystem::create_directories(work() / "home");
  options.env["HOME"] = (work() / "home").string();
  options.unsetEnv = {"REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR", "http_proxy", "https_proxy",
                      "HTTP_PROXY",         "HTTPS_PROXY",   "ALL_PROXY",       "all_proxy"};
  options.timeout = std::chrono::seconds(60);
  run.result = runCommand(args, options);
  return run;
}

CliRun VerifyIntegration::sync(const RegistryProcess& from, const RegistryProcess& to,
                               const std::vector<std::string>& repos, const std::vector<std::string>& extra) {
  std::string list;
  for (const auto& r : repos) list += (list.empty() ? "" : ",") + r;
  std::vector<std::string> args{"registry", "sync", "--from-registry",          from.host(), "--to-registry", to.host(),
                                "--repos",  list,   "--allow-insecure-registry"};
  args.insert(args.end(), extra.begin(), extra.end());
  return runCli(std::move(args));
}

CliRun VerifyIntegration::seed(const RegistryProcess& from, const std::string& fromRef, const RegistryProcess& to,
                               const std::string& toRef, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"registry",
                                "seed",
                                "--from",
                                from.host() + "/" + fromRef,
                                "--to",
                                to.host() + "/" + toRef,
                                "--allow-insecure-registry"};
  args.insert(args.end(), extra.begin(), extra.end());
  return runCli(std::move(args));
}

nlohmann::json VerifyIntegration::seedJson(const CliRun& run, const std::string& repo) {
  const auto path = run.out / repo / "seed.json";
  if (!std::filesystem::exists(path))
    throw std::runtime_error("no seed.json at " + path.string() + "; " + run.describe());
  return nlohmann::json::parse(readTextFileOrThrow(path));
}

nlohmann::json VerifyIntegration::catalogJson(const CliRun& run) {
  const auto path = run.out / "catalog.json";
  if (!std::filesystem::exists(path))
    throw std::runtime_error("no catalog.json at " + path.string() + "; " + run.describe());
  return nlohmann::json::parse(readTextFileOrThrow(path));
}

std::string VerifyIntegration::tagDigest(const RegistryProcess& reg, const std::string& repo, const std::string& tag) {
  const auto link = v2Root(reg) / "repositories" / repo / "_manifests" / "tags" / tag / "current" / "link";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(link, ec)) return "";
  return trimTrailing(readTextFileOrThrow(link));
}

bool VerifyIntegration::hasBlob(const RegistryProcess& reg, const oci::Digest& digest) {
  std::error_code ec;
  return std::filesystem::is_regular_file(reg.blobDataPath(digest.str()), ec);
}

std::vector<std::string> VerifyIntegration::writeRequests(const RegistryProcess& reg, const std::string& repo) {
  return logLines(reg, repo, true);
}

std::vector<std::string> VerifyIntegration::anyRequests(const RegistryProcess& reg, const std::string& repo) {
  return logLines(reg, repo, false);
}

void VerifyIntegration::expectUntouched(const RegistryProcess& reg, const std::string& repo) {
  EXPECT_TRUE(reg.tags(repo).empty()) << repo << " has tags at " << reg.host() << ": "
                                      << ::testing::PrintToString(reg.tags(repo));
  EXPECT_TRUE(reg.manifestLinks(repo).empty())
      << repo << " has manifests at " << reg.host() << ": " << ::testing::PrintToString(reg.manifestLinks(repo));
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(v2Root(reg) / "repositories" / repo, ec))
      << repo << " exists in " << reg.host() << "'s storage";
  const auto writes = writeRequests(reg, repo);
  EXPECT_TRUE(writes.empty()) << "write requests for " << repo << " at " << reg.host() << ":\n"
                              << ::testing::PrintToString(writes);
}

void VerifyIntegration::expectNoBlobs(const RegistryProcess& reg) {
  std::vector<std::string> found;
  std::error_code ec;
  const auto blobs = v2Root(reg) / "blobs";
  if (std::filesystem::exists(blobs, ec))
    for (auto it = std::filesystem::recursive_directory_iterator(blobs, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file()) found.push_back(it->path().string());
  EXPECT_TRUE(found.empty()) << reg.host() << " holds blobs: " << ::testing::PrintToString(found);
}

std::string VerifyIntegration::spkiFingerprint(const std::string& publicPem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(publicPem.data(), static_cast<int>(publicPem.size())),
                                                &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          &EVP_PKEY_free);
  if (!key) throw std::runtime_error("spkiFingerprint: not a public key PEM");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) throw std::runtime_error("spkiFingerprint: i2d_PUBKEY failed");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), md, &mdLen, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < mdLen; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace autonomy::testing::verifyit
