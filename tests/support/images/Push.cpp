#include "tests/support/images/Push.hpp"

#include <nlohmann/json.hpp>

#include "engine/oci/MediaTypes.hpp"
#include "tests/support/images/ToolRunner.hpp"

namespace autonomy::testing {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

bool indexEntriesHaveArtifactType(std::string_view bytes) {
  const auto json = nlohmann::json::parse(bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("manifests") || !json["manifests"].is_array()) {
    return false;
  }
  for (const auto& entry : json["manifests"]) {
    if (entry.is_object() && entry.contains("artifactType")) return true;
  }
  return false;
}

}  // namespace

Status pushWithSkopeo(const std::filesystem::path& layoutDir, std::string_view tagInLayout,
                      std::string_view destination, const SkopeoOptions& options) {
  const std::string source = "oci:" + layoutDir.string() + ":" + std::string(tagInLayout);
  std::string target(destination);
  if (target.rfind("docker://", 0) != 0) target = "docker://" + target;

  // --insecure-policy: tests must not depend on the machine's /etc/containers/policy.json.
  std::vector<std::string> argv{options.skopeoPath,
                                "--insecure-policy",
                                "copy",
                                "--all",
                                "--preserve-digests",
                                std::string("--dest-tls-verify=") + (options.tlsVerify ? "true" : "false")};
  if (options.creds.empty()) {
    argv.emplace_back("--dest-no-creds");  // never pick up an auth.json lying around
  } else {
    argv.emplace_back("--dest-creds");
    argv.push_back(options.creds);
  }
  if (!options.certDir.empty()) {
    argv.emplace_back("--dest-cert-dir");
    argv.push_back(options.certDir.string());
  }
  argv.push_back(source);
  argv.push_back(target);

  const std::string what = "skopeo copy " + source + " " + target;
  auto run = imagesdetail::runTool(argv, options.timeout);
  if (!run) return run.error().context(what);
  if (run->exitCode != 0) {
    return makeError(ErrorCode::kRegistry, what + ": exit " + std::to_string(run->exitCode) + ": " + trimmed(run->err) +
                                               " (argv: " + imagesdetail::describeArgv(argv) + ")");
  }
  return {};
}

bool needsCurlPush(const BuiltManifest& manifest) {
  if (manifest.mediaType != oci::media::kOciManifest && manifest.mediaType != oci::media::kOciIndex) return true;
  if (manifest.mediaType == oci::media::kOciIndex && indexEntriesHaveArtifactType(manifest.bytes)) return true;
  for (const auto& child : manifest.children) {
    if (needsCurlPush(child)) return true;
  }
  return false;
}

Status pushImage(OciLayout& layout, const BuiltManifest& manifest, std::string_view host, std::string_view repo,
                 std::string_view tag, const SkopeoOptions& options) {
  if (needsCurlPush(manifest)) {
    CurlOptions curl;
    curl.tlsVerify = options.tlsVerify;
    curl.creds = options.creds;
    curl.certDir = options.certDir;
    curl.timeout = options.timeout;
    return pushBlobsAndManifestWithCurl(layout, manifest, host, repo, tag, curl);
  }
  if (auto s = layout.tag(tag, manifest.mediaType, manifest.digest, manifest.size()); !s) return s;
  return pushWithSkopeo(layout.dir(), tag, std::string(host) + "/" + std::string(repo) + ":" + std::string(tag),
                        options);
}

}  // namespace autonomy::testing
