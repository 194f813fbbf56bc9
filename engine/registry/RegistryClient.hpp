#pragma once
// The OCI distribution API of one registry host: manifests, blobs, uploads, mounts, referrers.
// Handles scheme selection, auth (Basic, Bearer token flow), retries and keep-alive reuse.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/CancelToken.hpp"
#include "engine/oci/Digest.hpp"
#include "engine/registry/AuthChallenge.hpp"
#include "engine/registry/ConnectionPool.hpp"
#include "engine/registry/Credentials.hpp"
#include "engine/registry/RetryPolicy.hpp"

namespace autonomy::registry {

struct RegistrySettings {
  std::string host;                               // "edge-a.local:5000"
  bool insecure = false;                          // plain HTTP permitted (HTTPS is still tried first)
  std::vector<std::filesystem::path> certsRoots;  // certs.d-style roots searched for <host>/
  std::optional<Credentials> credentials;
  std::size_t maxConnections = 8;
  std::chrono::seconds stallTimeout{60};
  RetryPolicy retry;
};

struct ManifestInfo {
  oci::Digest digest;
  std::string mediaType;
  std::uint64_t size = 0;
};

struct FetchedManifest {
  ManifestInfo info;
  std::string bytes;
};

// A repo's tags as tags/list gave them. `complete` is false when the registry had more than the
// client reads (kMaxListedTags, kMaxTagPages) or paged somewhere it will not follow.
struct TagListing {
  std::vector<std::string> tags;
  bool complete = true;
};
inline constexpr std::size_t kMaxListedTags = 20000;
inline constexpr int kMaxTagPages = 20;
inline constexpr std::size_t kMaxTagPageBytes = 2u << 20;

// The next page of a tags/list answer from its Link header (`<...>; rel="next"`), when it stays
// on this repo's tags/list; nullopt when there is no next page or it leads elsewhere.
std::optional<std::string> nextTagPage(std::string_view linkHeader, const std::string& repo);

// Requests sent, by kind ("GET manifest", "HEAD blob", ...): for tests and benchmarks.
using RequestCounts = std::map<std::string, std::uint64_t>;

class BlobReader;
class BlobWriter;

class RegistryClient {
 public:
  RegistryClient(ConnectionPool& pool, RegistrySettings settings);
  const std::string& host() const { return settings_.host; }
  boost::asio::any_io_executor executor() const { return pool_.executor(); }
  ConnectionPool& pool() const { return pool_; }

  // GET /v2/: picks the scheme, learns the auth challenge, checks this is a registry.
  Task<Status> ping(CancelTokenPtr cancel);

  Task<Result<ManifestInfo>> headManifest(std::string repo, std::string reference, CancelTokenPtr cancel);
  // Digest-checked: a digest reference must match, a tag must match Docker-Content-Digest.
  Task<Result<FetchedManifest>> getManifest(std::string repo, std::string reference, CancelTokenPtr cancel);
  Task<Status> putManifest(std::string repo, std::string reference, std::string bytes, std::string mediaType,
                           CancelTokenPtr cancel);

  Task<Result<bool>> blobExists(std::string repo, oci::Digest digest, CancelTokenPtr cancel);
  // Small blobs only (signature payloads, sidecar documents); digest-checked.
  Task<Result<std::string>> getBlob(std::string repo, oci::Digest digest, std::size_t limit, CancelTokenPtr cancel);
  Task<Result<std::unique_ptr<BlobReader>>> openBlob(std::string repo, oci::Digest digest, std::uint64_t offset,
                                                     CancelTokenPtr cancel);

  // POST with ?mount=&from=: true when mounted; else an upload session was opened at *location.
  Task<Result<bool>> mountBlob(std::string repo, oci::Digest digest, std::string fromRepo, Url* location,
                               CancelTokenPtr cancel);
  Task<Result<Url>> startUpload(std::string repo, CancelTokenPtr cancel);
  // Bytes the registry has committed for an upload session (GET on the upload URL, Range).
  Task<Result<std::uint64_t>> uploadedSize(std::string repo, Url location, CancelTokenPtr cancel);
  // PATCH streaming `length` bytes from `offset`; the writer returns the next Location.
  Task<Result<std::unique_ptr<BlobWriter>>> beginChunk(std::string repo, Url location, std::uint64_t offset,
                                                       std::uint64_t length, CancelTokenPtr cancel);
  Task<Status> commitUpload(std::string repo, Url location, oci::Digest digest, CancelTokenPtr cancel);
  Task<void> abortUpload(std::string repo, Url location);
  // A small blob from memory in one request pair (POST, then PUT with the bytes).
  Task<Status> uploadBlob(std::string repo, oci::Digest digest, std::string bytes, CancelTokenPtr cancel);

  // The OCI 1.1 referrers index for digest, or nullopt where the registry has no referrers API.
  // nullopt when the registry has no referrers API. A registry that has one never answers 404
  // (OCI distribution 1.1), so after such an answer this client stops asking for a while.
  Task<Result<std::optional<std::string>>> getReferrers(std::string repo, oci::Digest digest, CancelTokenPtr cancel);
  // GET tags/list, following the registry's pages within the limits above.
  Task<Result<TagListing>> listTags(std::string repo, CancelTokenPtr cancel);

  const RequestCounts& requestCounts() const { return counts_; }

  struct CallOptions {
    std::size_t bodyLimit = 64 * 1024;
    std::string kind;  // for RequestCounts
  };

 private:
  friend class BlobReader;
  friend class BlobWriter;
  Task<Result<HttpResponse>> call(HttpRequest request, std::vector<std::string> scopes, CallOptions options,
                                  CancelTokenPtr cancel);
  // Like call(), but leaves the body unread on the returned lease (for streaming GETs).
  Task<Result<std::pair<HttpResponse, Lease>>> callStreaming(HttpRequest request, std::vector<std::string> scopes,
                                                             std::string kind, CancelTokenPtr cancel);
  Task<Status> authorize(HttpRequest& request, const std::vector<std::string>& scopes, CancelTokenPtr cancel);
  Task<Status> fetchToken(std::vector<std::string> scopes, CancelTokenPtr cancel);
  Task<Result<Origin>> originFor(Url url);
  struct Probe {
    Origin origin;
    std::optional<AuthChallenge> challenge;
  };
  // GET /v2/ at one scheme; `retry` for transient failures.
  Task<Result<Probe>> probe(Url url, bool retry, CancelTokenPtr cancel);
  Task<void> backoff(int attempt, std::optional<std::chrono::seconds> retryAfter, CancelTokenPtr cancel);
  Error statusError(const HttpResponse& r, const std::string& what) const;
  // After a failed commit: does the registry hold the blob all the same (an earlier try committed)?
  Task<bool> committedAnyway(std::string repo, oci::Digest digest, CancelTokenPtr cancel);
  // Refuses plain HTTP for a realm or redirect when this registry is reached over HTTPS.
  Status checkClearText(const Url& target, std::string_view what) const;
  Url urlFor(std::string target) const;

  ConnectionPool& pool_;
  RegistrySettings settings_;
  bool ready_ = false;
  bool tls_ = true;
  bool realmLogged_ = false;
  std::optional<Origin> origin_;
  std::optional<AuthChallenge> challenge_;
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;  // scope set → bearer token
  // Until when getReferrers() answers "no API" without asking (a registry may be upgraded).
  std::chrono::steady_clock::time_point noReferrersApiUntil_{};
  std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> tlsContexts_;
  RequestCounts counts_;
  std::mt19937 rng_{std::random_device{}()};
};

// The body of a blob GET, read in chunks; holds its connection until destroyed.
class BlobReader {
 public:
  BlobReader(Lease lease, std::uint64_t length) : lease_(std::move(lease)), length_(length) {}
  std::uint64_t length() const { return length_; }  // bytes this response will carry
  Task<Result<std::size_t>> read(char* buf, std::size_t size) { return lease_->readBlobBody(buf, size); }
  void discard() { lease_.discard(); }

 private:
  Lease lease_;
  std::uint64_t length_;
};

// The body of one PATCH, written in chunks; finish() reads the answer.
class BlobWriter {
 public:
  BlobWriter(Lease lease, RegistryClient* client, std::string repo)
      : lease_(std::move(lease)), client_(client), repo_(std::move(repo)) {}
  Task<Status> write(const char* data, std::size_t size) { return lease_->writeBody(data, size); }
  // The next upload Location on success.
  Task<Result<Url>> finish();
  void discard() { lease_.discard(); }

 private:
  Lease lease_;
  RegistryClient* client_;
  std::string repo_;
};

std::string pullScope(const std::string& repo);
std::string pushScope(const std::string& repo);

}  // namespace autonomy::registry
