// The distribution API calls of RegistryClient (the request machinery is in RegistryClient.cpp).
#include <charconv>

#include "engine/core/BoundedJson.hpp"

#include "engine/oci/Manifest.hpp"
#include "engine/oci/MediaTypes.hpp"
#include "engine/registry/RegistryClient.hpp"

namespace autonomy::registry {

namespace {
constexpr std::size_t kManifestLimit = oci::kMaxManifestBytes;

std::string manifestPath(const std::string& repo, const std::string& reference) {
  return "/v2/" + repo + "/manifests/" + reference;
}
std::string blobPath(const std::string& repo, const oci::Digest& d) { return "/v2/" + repo + "/blobs/" + d.str(); }

// g++ 12 rejects braced aggregates with string literals inside co_await expressions.
RegistryClient::CallOptions options(std::size_t limit, const char* kind) {
  RegistryClient::CallOptions o;
  o.bodyLimit = limit;
  o.kind = kind;
  return o;
}

std::string stripParams(const std::string& contentType) { return contentType.substr(0, contentType.find(';')); }
}  // namespace

Task<Result<ManifestInfo>> RegistryClient::headManifest(std::string repo, std::string reference,
                                                        CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "HEAD";
  req.target = manifestPath(repo, reference);
  req.set("Accept", std::string(oci::media::kManifestAccept));
  const std::vector<std::string> scopes{pullScope(repo)};
  auto resp = co_await call(req, scopes, options(0, "HEAD manifest"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 200) co_return statusError(*resp, "look up " + repo + ":" + reference);
  auto digestHeader = resp->header("Docker-Content-Digest");
  if (digestHeader.empty()) {
    // Some registries omit the digest on HEAD: fall back to GET and hash the bytes.
    auto full = co_await getManifest(repo, reference, cancel);
    if (!full) co_return full.error();
    co_return full->info;
  }
  auto d = oci::Digest::parse(digestHeader);
  if (!d)
    co_return makeError(ErrorCode::kRegistry, settings_.host + " sent a bad Docker-Content-Digest: " + digestHeader);
  ManifestInfo info;
  info.digest = *d;
  info.mediaType = stripParams(resp->header("Content-Type"));
  info.size = resp->contentLength.value_or(0);
  co_return info;
}

Task<Result<FetchedManifest>> RegistryClient::getManifest(std::string repo, std::string reference,
                                                          CancelTokenPtr cancel) {
  HttpRequest req;
  req.target = manifestPath(repo, reference);
  req.set("Accept", std::string(oci::media::kManifestAccept));
  const std::vector<std::string> scopes{pullScope(repo)};
  auto resp = co_await call(req, scopes, options(kManifestLimit, "GET manifest"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 200) co_return statusError(*resp, "fetch manifest " + repo + ":" + reference);
  FetchedManifest out;
  out.bytes = std::move(resp->body);
  out.info.digest = oci::Digest::ofBytes(out.bytes);
  out.info.size = out.bytes.size();
  out.info.mediaType = stripParams(resp->header("Content-Type"));
  std::string expected = reference.starts_with("sha256:") ? reference : resp->header("Docker-Content-Digest");
  if (!expected.empty() && expected != out.info.digest.str())
    co_return makeError(ErrorCode::kIntegrity, "manifest " + repo + "@" + reference + " from " + settings_.host +
                                                   " hashes to " + out.info.digest.str() + ", expected " + expected);
  co_return out;
}

Task<Status> RegistryClient::putManifest(std::string repo, std::string reference, std::string bytes,
                                         std::string mediaType, CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "PUT";
  req.target = manifestPath(repo, reference);
  req.set("Content-Type", mediaType);
  req.body = std::move(bytes);
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "PUT manifest"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 201 && resp->status != 200)
    co_return statusError(*resp, "push manifest " + repo + ":" + reference);
  co_return Status{};
}

Task<Result<bool>> RegistryClient::blobExists(std::string repo, oci::Digest digest, CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "HEAD";
  req.target = blobPath(repo, digest);
  const std::vector<std::string> scopes{pullScope(repo)};
  auto resp = co_await call(req, scopes, options(0, "HEAD blob"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status == 200) co_return true;
  if (resp->status == 404) co_return false;
  co_return statusError(*resp, "check blob " + digest.shortStr() + " in " + repo);
}

Task<Result<std::string>> RegistryClient::getBlob(std::string repo, oci::Digest digest, std::size_t limit,
                                                  CancelTokenPtr cancel) {
  HttpRequest req;
  req.target = blobPath(repo, digest);
  const std::vector<std::string> scopes{pullScope(repo)};
  auto resp = co_await call(req, scopes, options(limit, "GET blob"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 200) co_return statusError(*resp, "fetch blob " + digest.shortStr() + " of " + repo);
  if (oci::Digest::ofBytes(resp->body) != digest)
    co_return makeError(ErrorCode::kIntegrity, "blob " + digest.str() + " of " + repo + " at " + settings_.host +
                                                   " does not match its digest");
  co_return std::move(resp->body);
}

Task<Result<std::unique_ptr<BlobReader>>> RegistryClient::openBlob(std::string repo, oci::Digest digest,
                                                                   std::uint64_t offset, CancelTokenPtr cancel) {
  HttpRequest req;
  req.target = blobPath(repo, digest);
  if (offset > 0) req.set("Range", "bytes=" + std::to_string(offset) + "-");
  // Registries backed by object storage redirect blob GETs; follow a few hops.
  for (int hop = 0; hop < 4; ++hop) {
    const std::vector<std::string> scopes{pullScope(repo)};
    auto started = co_await callStreaming(req, scopes, "GET blob", cancel);
    if (!started) co_return started.error();
    auto& [resp, lease] = *started;
    if (resp.status == 307 || resp.status == 302 || resp.status == 303 || resp.status == 301) {
      lease.discard();
      auto loc = Url::resolve(origin_->url, resp.header("Location"));
      if (!loc) co_return loc.error();
      if (auto st = checkClearText(*loc, "blob redirect"); !st) co_return st.error();
      if (loc->originKey() != origin_->url.originKey()) {
        auto o = co_await originFor(*loc);
        if (!o) co_return o.error();
        auto l2 = co_await pool_.acquire(*o, cancel);
        if (!l2) co_return l2.error();
        HttpRequest r2;
        r2.target = loc->target;
        if (offset > 0) r2.set("Range", "bytes=" + std::to_string(offset) + "-");
        ++counts_["GET blob redirect"];
        auto head = co_await (*l2)->sendAndReadHead(r2);
        if (!head) co_return head.error();
        if (head->status != 200 && head->status != 206)
          co_return makeError(ErrorCode::kRegistry, "blob redirect target " + loc->authority() + " answered HTTP " +
                                                        std::to_string(head->status));
        if (offset > 0 && head->status != 206)
          co_return makeError(ErrorCode::kRegistry, "blob storage ignored a Range request", true);
        co_return std::make_unique<BlobReader>(std::move(*l2), head->contentLength.value_or(0));
      }
      req.target = loc->target;
      continue;
    }
    if (resp.status != 200 && resp.status != 206) {
      lease.discard();
      co_return statusError(resp, "fetch blob " + digest.shortStr() + " of " + repo);
    }
    if (offset > 0 && resp.status != 206) {
      lease.discard();
      co_return makeError(ErrorCode::kRegistry, settings_.host + " ignored a Range request for " + digest.shortStr(),
                          true);
    }
    co_return std::make_unique<BlobReader>(std::move(lease), resp.contentLength.value_or(0));
  }
  co_return makeError(ErrorCode::kRegistry, "too many redirects fetching blob " + digest.shortStr());
}

Task<Result<bool>> RegistryClient::mountBlob(std::string repo, oci::Digest digest, std::string fromRepo, Url* location,
                                             CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/v2/" + repo + "/blobs/uploads/?mount=" + digest.str() + "&from=" + fromRepo;
  const std::vector<std::string> scopes{pushScope(repo), pullScope(fromRepo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "POST mount"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status == 201) co_return true;
  if (resp->status == 202) {
    auto loc = Url::resolve(origin_->url, resp->header("Location"));
    if (!loc) co_return loc.error();
    *location = *loc;
    co_return false;
  }
  co_return statusError(*resp, "mount blob " + digest.shortStr() + " from " + fromRepo + " into " + repo);
}

Task<Result<Url>> RegistryClient::startUpload(std::string repo, CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/v2/" + repo + "/blobs/uploads/";
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "POST upload"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 202) co_return statusError(*resp, "start upload to " + repo);
  co_return Url::resolve(origin_->url, resp->header("Location"));
}

Task<Result<std::uint64_t>> RegistryClient::uploadedSize(std::string repo, Url location, CancelTokenPtr cancel) {
  HttpRequest req;
  req.target = location.target;
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "GET upload status"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status != 204 && resp->status != 200) co_return statusError(*resp, "upload status in " + repo);
  // "Range: 0-<last byte>". distribution writes "0-0" for an empty session as well as for one
  // holding a single byte; reading it as 0 only costs re-sending that byte in a new session.
  const auto range = resp->header("Range");
  const auto dash = range.find('-');
  if (dash == std::string::npos) co_return std::uint64_t{0};
  std::uint64_t last = 0;
  auto [p, ec] = std::from_chars(range.data() + dash + 1, range.data() + range.size(), last);
  if (ec != std::errc()) co_return std::uint64_t{0};
  co_return last == 0 ? std::uint64_t{0} : last + 1;
}

Task<Result<std::unique_ptr<BlobWriter>>> RegistryClient::beginChunk(std::string repo, Url location,
                                                                     std::uint64_t offset, std::uint64_t length,
                                                                     CancelTokenPtr cancel) {
  if (auto st = co_await ping(cancel); !st) co_return st.error();
  HttpRequest req;
  req.method = "PATCH";
  req.target = location.target;
  req.streamLength = length;
  req.set("Content-Type", "application/octet-stream");
  if (length > 0) req.set("Content-Range", std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  const std::vector<std::string> scopes{pushScope(repo)};
  if (auto st = co_await authorize(req, scopes, cancel); !st) co_return st.error();
  auto lease = co_await pool_.acquire(*origin_, cancel);
  if (!lease) co_return lease.error();
  ++counts_["PATCH upload"];
  if (auto st = co_await (*lease)->writeHead(req); !st) {
    (*lease).discard();
    co_return st.error();
  }
  co_return std::make_unique<BlobWriter>(std::move(*lease), this, repo);
}

Task<Result<Url>> BlobWriter::finish() {
  auto resp = co_await lease_->readResponse(64 * 1024);
  if (!resp) {
    lease_.discard();
    co_return resp.error();
  }
  // A connection that has carried 1 MiB of upload bodies is not reused: a link that cuts
  // long-lived connections then cuts no upload (a connection carries at most one chunk past
  // that), and a cut costs at most one chunk's connection. Below it, small blobs share kept-alive
  // connections instead of paying a new connection (a round trip) each.
  constexpr std::uint64_t kRetireAfterUploadBytes = 1u << 20;
  if (lease_->bodyBytesWritten() >= kRetireAfterUploadBytes) lease_.discard();
  if (resp->status != 202 && resp->status != 204) co_return client_->statusError(*resp, "upload to " + repo_);
  co_return Url::resolve(client_->origin_->url, resp->header("Location"));
}

Task<Status> RegistryClient::commitUpload(std::string repo, Url location, oci::Digest digest, CancelTokenPtr cancel) {
  HttpRequest req;
  req.method = "PUT";
  req.target = appendQuery(location.target, "digest", digest.str());
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "PUT upload"), cancel);
  if (resp && (resp->status == 201 || resp->status == 204)) co_return Status{};
  // A commit retried after its answer was lost finds the session gone (404): the first one may
  // have committed. The registry only holds the blob under its digest if the bytes matched it.
  if (co_await committedAnyway(repo, digest, cancel)) co_return Status{};
  if (!resp) co_return resp.error();
  co_return statusError(*resp, "commit blob " + digest.shortStr() + " in " + repo);
}

Task<bool> RegistryClient::committedAnyway(std::string repo, oci::Digest digest, CancelTokenPtr cancel) {
  if (cancel && cancel->cancelled()) co_return false;
  auto exists = co_await blobExists(repo, digest, cancel);
  co_return exists&&* exists;
}

Task<Status> RegistryClient::uploadBlob(std::string repo, oci::Digest digest, std::string bytes,
                                        CancelTokenPtr cancel) {
  auto location = co_await startUpload(repo, cancel);
  if (!location) co_return location.error();
  HttpRequest req;
  req.method = "PUT";
  req.target = appendQuery(location->target, "digest", digest.str());
  req.set("Content-Type", "application/octet-stream");
  req.body = std::move(bytes);
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "PUT upload"), cancel);
  if (!resp || (resp->status != 201 && resp->status != 204)) {
    if (co_await committedAnyway(repo, digest, cancel)) co_return Status{};  // see commitUpload
    if (!resp) co_return resp.error();
    co_return statusError(*resp, "upload blob " + digest.shortStr() + " to " + repo);
  }
  co_return Status{};
}

Task<void> RegistryClient::abortUpload(std::string repo, Url location) {
  HttpRequest req;
  req.method = "DELETE";
  req.target = location.target;
  const std::vector<std::string> scopes{pushScope(repo)};
  auto resp = co_await call(req, scopes, options(64 * 1024, "DELETE upload"), nullptr);
  (void)resp;  // best effort: the registry expires abandoned sessions anyway
}

Task<Result<std::optional<std::string>>> RegistryClient::getReferrers(std::string repo, oci::Digest digest,
                                                                      CancelTokenPtr cancel) {
  if (std::chrono::steady_clock::now() < noReferrersApiUntil_) co_return std::optional<std::string>{};
  HttpRequest req;
  req.target = "/v2/" + repo + "/referrers/" + digest.str();
  req.set("Accept", std::string(oci::media::kOciIndex));
  const std::vector<std::string> scopes{pullScope(repo)};
  auto resp = co_await call(req, scopes, options(kManifestLimit, "GET referrers"), cancel);
  if (!resp) co_return resp.error();
  if (resp->status == 404 || resp->status == 405 || resp->status == 400) {
    // Remembered for a while, not for ever: a long-lived daemon notices an upgraded registry.
    constexpr auto kRemembered = std::chrono::minutes(10);
    noReferrersApiUntil_ = std::chrono::steady_clock::now() + kRemembered;
    co_return std::optional<std::string>{};
  }
  if (resp->status != 200) co_return statusError(*resp, "list referrers of " + digest.shortStr() + " in " + repo);
  if (stripParams(resp->header("Content-Type")) != oci::media::kOciIndex) co_return std::optional<std::string>{};
  co_return std::optional<std::string>(std::move(resp->body));
}

std::optional<std::string> nextTagPage(std::string_view link, const std::string& repo) {
  // One link value is enough: registries send a single rel="next".
  const auto open = link.find('<');
  const auto close = link.find('>', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  const auto params = link.substr(close + 1);
  if (params.find("rel=\"next\"") == std::string_view::npos && params.find("rel=next") == std::string_view::npos)
    return std::nullopt;
  std::string target(link.substr(open + 1, close - open - 1));
  const std::string expected = "/v2/" + repo + "/tags/list?";
  if (!target.starts_with(expected)) return std::nullopt;  // absolute or elsewhere: not followed
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  return target;
}

Task<Result<TagListing>> RegistryClient::listTags(std::string repo, CancelTokenPtr cancel) {
  TagListing out;
  std::string target = "/v2/" + repo + "/tags/list";
  for (int page = 0;; ++page) {
    if (page == kMaxTagPages) {
      out.complete = false;
      co_return out;
    }
    HttpRequest req;
    req.target = target;
    const std::vector<std::string> scopes{pullScope(repo)};
    auto resp = co_await call(req, scopes, options(kMaxTagPageBytes, "GET tags"), cancel);
    if (!resp) co_return resp.error();
    if (resp->status != 200) co_return statusError(*resp, "list tags of " + repo);
    JsonBounds bounds;
    bounds.maxBytes = kMaxTagPageBytes;
    bounds.maxDepth = 4;
    auto j = parseBoundedJson(resp->body, bounds, ErrorCode::kRegistry, "tags/list of " + repo);
    if (!j) co_return j.error();
    if (!j->is_object() || (j->contains("tags") && !(*j)["tags"].is_array() && !(*j)["tags"].is_null()))
      co_return makeError(ErrorCode::kRegistry,
                          "tags/list of " + repo + " at " + settings_.host + " is not {\"tags\": [...]}");
    if (j->contains("tags") && (*j)["tags"].is_array()) {
      for (const auto& t : (*j)["tags"]) {
        if (!t.is_string()) continue;
        if (out.tags.size() == kMaxListedTags) {
          out.complete = false;
          co_return out;
        }
        out.tags.push_back(t.get<std::string>());
      }
    }
    auto next = nextTagPage(resp->header("Link"), repo);
    if (!next) {
      // A next page we will not follow still means the list goes on.
      if (resp->header("Link").find("next") != std::string::npos) out.complete = false;
      co_return out;
    }
    target = std::move(*next);
  }
}

}  // namespace autonomy::registry
