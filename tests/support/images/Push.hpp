#pragma once
// Putting test content into a registry. The project rule is "images go in with skopeo", so
// pushWithSkopeo is the default; pushImage falls back to curl (CurlRegistry.hpp) only for the
// shapes Debian's skopeo 1.9.3 cannot copy unchanged.
//
// What skopeo 1.9.3 (`copy --all --preserve-digests oci:<dir>:<tag> docker://...`) does, checked
// against docker-registry 2.8.2 by reading back manifests and blobs:
//  * Copies byte-for-byte (same Docker-Content-Digest, same bytes, all blobs present):
//    images; multi-platform OCI indexes; OCI artifacts with config
//    application/vnd.oci.empty.v1+json or a custom config media type, custom layer media types,
//    manifest-level artifactType, annotations, an empty layers list, a `subject` (even one the
//    registry does not hold); cosign .sig manifests (OCI config + simplesigning layers with the
//    dev.cosignproject.cosign/signature annotation); indexes with index-level artifactType,
//    annotations, a subject or unknown fields; indexes whose children are artifacts;
//    non-canonical JSON (indentation, trailing newlines); layers declared tar+gzip that are not.
//  * Refuses: an OCI index whose *entries* carry `artifactType` — exactly the shape of a
//    referrers list and of the "sha256-<hex>" referrers fallback tag. skopeo fails with
//    "Manifest list must be converted to type application/vnd.oci.image.index.v1+json to be
//    written to destination, but we cannot modify it: Instructed to preserve digests"
//    (without --preserve-digests it would rewrite the index and change its digest).
//  * Cannot see: a tag whose index.json entry has a Docker media type (schema2 manifest or
//    manifest list): "no descriptor found for reference". Its oci: transport only looks at OCI
//    manifest/index entries.
// Those last two go up with curl (pushBlobsAndManifestWithCurl); needsCurlPush() says which.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"
#include "tests/support/images/CurlRegistry.hpp"
#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/OciLayout.hpp"

namespace autonomy::testing {

struct SkopeoOptions {
  bool tlsVerify = false;         // --dest-tls-verify
  std::string creds;              // "user:pass" => --dest-creds; empty => --dest-no-creds
  std::filesystem::path certDir;  // --dest-cert-dir (ca.crt, client.cert, client.key)
  std::string skopeoPath = "/usr/bin/skopeo";
  std::chrono::seconds timeout{300};
};

// skopeo --insecure-policy copy --all --preserve-digests oci:<layoutDir>:<tagInLayout>
//   docker://<destination>, destination being "127.0.0.1:<port>/<repo>:<tag>" (or @digest).
// The error carries skopeo's stderr.
Status pushWithSkopeo(const std::filesystem::path& layoutDir, std::string_view tagInLayout,
                      std::string_view destination, const SkopeoOptions& options = {});

// True when skopeo 1.9.3 cannot push this manifest (or one of its children) unchanged.
bool needsCurlPush(const BuiltManifest& manifest);

// Tags the manifest in the layout as `tag` and pushes it to host/repo:tag: with skopeo unless
// needsCurlPush(), then with curl. Either way the registry ends up with the exact bytes.
Status pushImage(OciLayout& layout, const BuiltManifest& manifest, std::string_view host, std::string_view repo,
                 std::string_view tag, const SkopeoOptions& options = {});

}  // namespace autonomy::testing
