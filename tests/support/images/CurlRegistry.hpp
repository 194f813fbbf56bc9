#pragma once
// The raw OCI distribution API driven with the curl binary: the fallback for content Debian's
// skopeo 1.9.3 will not copy unchanged (see Push.hpp), and a way for tests to read back exactly
// what a registry stores. Blobs go up as a monolithic upload (POST /v2/<repo>/blobs/uploads/,
// then PUT <Location>&digest=...), skipped when HEAD says the blob is there; manifests go up with
// PUT /v2/<repo>/manifests/<reference> and the answer's Docker-Content-Digest is checked.
// Auth: Basic from `creds`, or a Bearer token fetched from the realm a 401 names (same creds).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"
#include "tests/support/images/ImageBuilder.hpp"
#include "tests/support/images/OciLayout.hpp"

namespace autonomy::testing {

struct CurlOptions {
  // false: accept any certificate. With neither tlsVerify nor certDir, https is tried first and
  // plain http used when the registry does not speak TLS (as skopeo does).
  bool tlsVerify = false;
  std::string creds;              // "user:pass"; empty => anonymous
  std::filesystem::path certDir;  // certs.d style: first *.crt is the CA, client.cert/client.key
  std::string curlPath = "curl";
  std::chrono::seconds timeout{300};
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names; last value wins
  std::string body;
  std::string header(std::string_view name) const;
};

// Pushes the given blobs (bytes whose digests the manifest references) then the manifest, by
// tag or digest. The registry's Docker-Content-Digest must equal sha256(manifestBytes).
Status pushManifestDirect(std::string_view host, std::string_view repo, std::string_view reference,
                          std::string_view manifestBytes, std::string_view mediaType,
                          const std::vector<std::string>& blobs, const CurlOptions& options = {});

// Pushes a built manifest from a layout: child manifests first (by digest, each with its blobs),
// then the manifest's own blobs (read from the layout's files), then the manifest itself.
Status pushBlobsAndManifestWithCurl(const OciLayout& layout, const BuiltManifest& manifest, std::string_view host,
                                    std::string_view repo, std::string_view reference, const CurlOptions& options = {});

// GET /v2/<repo>/manifests/<reference> with the given Accept. Any HTTP status is a value.
Result<HttpReply> fetchManifestWithCurl(std::string_view host, std::string_view repo, std::string_view reference,
                                        const CurlOptions& options = {},
                                        std::string_view accept =
                                            "application/vnd.oci.image.manifest.v1+json, "
                                            "application/vnd.oci.image.index.v1+json, "
                                            "application/vnd.docker.distribution.manifest.v2+json, "
                                            "application/vnd.docker.distribution.manifest.list.v2+json");

// GET /v2/<repo>/blobs/<digest>; an error unless 200 and the bytes hash to the digest.
Result<std::string> fetchBlobWithCurl(std::string_view host, std::string_view repo, const oci::Digest& digest,
                                      const CurlOptions& options = {});

}  // namespace autonomy::testing
