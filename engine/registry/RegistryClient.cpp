#include "engine/registry/RegistryClient.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"
#include "engine/registry/TlsContext.hpp"

namespace autonomy::registry {

namespace net = boost::asio;

std::string pullScope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string pushScope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

namespace {
std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}
}  // namespace

RegistryClient::RegistryClient(ConnectionPool& pool, RegistrySettings settings)
    : pool_(pool), settings_(std::move(settings)) {}

Url RegistryClient::urlFor(std::string target) const {
  Url u = origin_ ? origin_->url : Url{};
  u.target = std::move(target);
  return u;
}

Task<Result<Origin>> RegistryClient::originFor(Url url) {
  Origin o;
  o.stallTimeout = settings_.stallTimeout;
  o.rate = pool_.rateFor(settings_.host);
  url.target = "/";
  o.url = url;
  if (url.tls) {
    const auto key = url.authority();
    auto it = tlsContexts_.find(key);
    if (it == tlsContexts_.end()) {
      auto roots = settings_.certsRoots;
      for (auto& r : defaultCertsRoots()) roots.push_back(r);
      auto ctx = makeTlsContext(key, roots);
      if (!ctx) co_return ctx.error();
      it = tlsContexts_.emplace(key, *ctx).first;
    }
    o.tls = it->second;
  }
  co_return o;
}

Error RegistryClient::statusError(const HttpResponse& r, const std::string& what) const {
  std::string detail;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    if (e.is_object()) detail = e.value("code", "") + ": " + e.value("message", "");
  }
  // The registry's own words, bounded: they end up in records and on the operator's screen.
  constexpr std::size_t kMaxDetail = 300;
  if (detail.size() > kMaxDetail) detail = detail.substr(0, kMaxDetail) + "…";
  const std::string base = what + " at " + settings_.host + ": HTTP " + std::to_string(r.status) +
                           (detail.empty() ? "" : " (" + detail + ")");
  switch (r.status) {
    case 401:
      return makeError(ErrorCode::kAuth, base + "; check the credentials for " + settings_.host + " (--authfile)");
    case 403:
      return makeError(ErrorCode::kAuth, base + "; the account lacks permission for this repository");
    case 404:
      return makeError(ErrorCode::kNotFound, base);
    default:
      return makeError(ErrorCode::kRegistry, base, RetryPolicy::isRetryableStatus(r.status));
  }
}

Task<void> RegistryClient::backoff(int attempt, std::optional<std::chrono::seconds> retryAfter, CancelTokenPtr cancel) {
  net::steady_timer timer(pool_.executor());
  timer.expires_after(settings_.retry.delayFor(attempt, retryAfter, rng_));
  CancelToken::Id id = 0;
  if (cancel) id = cancel->subscribe([&timer] { timer.cancel(); });
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  if (cancel && id) cancel->unsubscribe(id);
}

Task<Result<RegistryClient::Probe>> RegistryClient::probe(Url url, bool retry, CancelTokenPtr cancel) {
  auto o = co_await originFor(url);
  if (!o) co_return o.error();
  Error last = makeError(ErrorCode::kNetwork, "no address tried");
  for (int attempt = 1;; ++attempt) {
    auto lease = co_await pool_.acquire(*o, cancel);
    if (!lease) {
      last = lease.error();
    } else {
      HttpRequest req;
      req.target = "/v2/";
      ++counts_["GET ping"];
      auto resp = co_await (*lease)->exchange(req, 64 * 1024);
      if (resp) {
        if (resp->status != 200 && resp->status != 401) {
          if (RetryPolicy::isRetryableStatus(resp->status) && attempt < settings_.retry.maxAttempts) {
            co_await backoff(attempt, RetryPolicy::parseRetryAfter(resp->header("Retry-After")), cancel);
            continue;
          }
          co_return makeError(ErrorCode::kRegistry, settings_.host +
                                                        " does not look like an OCI registry: GET /v2/ answered HTTP " +
                                                        std::to_string(resp->status));
        }
        Probe found{*o, std::nullopt};
        if (resp->status == 401) found.challenge = parseAuthChallenge(resp->header("WWW-Authenticate"));
        co_return found;
      }
      (*lease).discard();
      last = resp.error();
    }
    if (last.code == ErrorCode::kCancelled) co_return last;
    if (!retry || !last.transient || attempt >= settings_.retry.maxAttempts) co_return last;
    co_await backoff(attempt, std::nullopt, cancel);
  }
}

Task<Status> RegistryClient::ping(CancelTokenPtr cancel) {
  using namespace boost::asio::experimental::awaitable_operators;
  if (ready_) co_return Status{};
  auto https = Url::parse("https://" + settings_.host + "/v2/");
  if (!https) co_return https.error();
  Result<Probe> found = makeError(ErrorCode::kInternal, "not probed");
  if (!settings_.insecure) {
    found = co_await probe(*https, true, cancel);
  } else {
    // HTTPS and plain HTTP are asked at once (a far link pays one round trip, not two), and
    // HTTPS wins whenever it answers: plain HTTP is used only where TLS is not spoken.
    Url plain = *https;
    plain.tls = false;
    plain.port = splitHostPort(settings_.host, "80").second;
    auto secureTry = probe(*https, false, cancel);
    auto plainTry = probe(plain, true, cancel);
    auto both = co_await (std::move(secureTry) && std::move(plainTry));
    found = std::get<0>(both) ? std::move(std::get<0>(both)) : std::move(std::get<1>(both));
  }
  if (!found) co_return found.error().context("reach registry " + settings_.host);
  origin_ = found->origin;
  tls_ = found->origin.url.tls;
  challenge_ = found->challenge;
  ready_ = true;
  co_return Status{};
}

Status RegistryClient::checkClearText(const Url& target, std::string_view what) const {
  // A registry reached over HTTPS may not send us, or our credentials, on to plain HTTP unless
  // the operator allowed clear text for it (--allow-insecure-registry, insecure: true).
  if (target.tls || !tls_ || settings_.insecure) return {};
  return makeError(ErrorCode::kAuth, settings_.host + " (HTTPS) puts its " + std::string(what) + " at plain-HTTP " +
                                         target.authority() +
                                         ": refusing to send credentials or content in clear (allow insecure for " +
                                         settings_.host + " only if that link is trusted)");
}

Task<Status> RegistryClient::fetchToken(std::vector<std::string> scopes, CancelTokenPtr cancel) {
  const auto realm = challenge_ ? challenge_->param("realm") : "";
  auto url = Url::parse(realm);
  if (!url) co_return makeError(ErrorCode::kAuth, settings_.host + " sent a Bearer challenge without a usable realm");
  if (auto st = checkClearText(*url, "token realm"); !st) co_return st;
  if (origin_ && url->authority() != origin_->url.authority() && !realmLogged_) {
    realmLogged_ = true;
    spdlog::info("{}: token realm on another host, {}", settings_.host, url->authority());
  }
  const auto service = challenge_->param("service");
  auto o = co_await originFor(*url);
  if (!o) co_return o.error();
  HttpRequest req;
  if (settings_.credentials && !settings_.credentials->identityToken.empty()) {
    // An identity token (Docker's OAuth login, a credential helper's "<token>") is an OAuth2
    // refresh token: POSTed as a form, never sent as Basic.
    req.method = "POST";
    req.target = url->target;
    req.set("Content-Type", "application/x-www-form-urlencoded");
    std::string scopeList;
    for (const auto& s : scopes) scopeList += (scopeList.empty() ? "" : " ") + s;
    req.body =
        "grant_type=refresh_token&client_id=autonomy&refresh_token=" + urlEncode(settings_.credentials->identityToken) +
        "&service=" + urlEncode(service) + "&scope=" + urlEncode(scopeList);
  } else {
    std::string target = url->target;
    if (!service.empty()) target = appendQuery(target, "service", service);
    for (const auto& s : scopes) target = appendQuery(target, "scope", s);
    req.target = target;
    if (settings_.credentials)
      req.set("Authorization",
              "Basic " + base64Encode(settings_.credentials->username + ":" + settings_.credentials->password));
  }
  Error last = makeError(ErrorCode::kAuth, "no token");
  for (int attempt = 1; attempt <= settings_.retry.maxAttempts; ++attempt) {
    auto lease = co_await pool_.acquire(*o, cancel);
    if (!lease) {
      last = lease.error();
    } else {
      ++counts_[req.method + " token"];
      auto resp = co_await (*lease)->exchange(req, 1 << 20);
      if (!resp) {
        (*lease).discard();
        last = resp.error();
      } else if (resp->status == 200) {
        auto j = nlohmann::json::parse(resp->body, nullptr, false);
        std::string token;
        if (!j.is_discarded() && j.is_object()) {
          token = j.value("token", std::string());
          if (token.empty()) token = j.value("access_token", std::string());
        }
        if (token.empty()) co_return makeError(ErrorCode::kAuth, "token server " + url->authority() + " sent no token");
        long long ttl = 60;
        if (!j.is_discarded() && j.contains("expires_in") && j["expires_in"].is_number_integer())
          ttl = std::max<long long>(j["expires_in"].get<long long>(), 10);
        tokens_[joinScopes(scopes)] = {token, std::chrono::steady_clock::now() + std::chrono::seconds(ttl - 5)};
        co_return Status{};
      } else if (resp->status == 401 || resp->status == 403) {
        co_return makeError(ErrorCode::kAuth, "token server " + url->authority() + " refused the credentials for " +
                                                  settings_.host + " (HTTP " + std::to_string(resp->status) +
                                                  "); check --authfile");
      } else {
        last = makeError(ErrorCode::kAuth,
                         "token server " + url->authority() + " answered HTTP " + std::to_string(resp->status),
                         RetryPolicy::isRetryableStatus(resp->status));
      }
    }
    if (last.code == ErrorCode::kCancelled || !last.transient) break;
    co_await backoff(attempt, std::nullopt, cancel);
  }
  co_return last;
}

Task<Status> RegistryClient::authorize(HttpRequest& request, const std::vector<std::string>& scopes,
                                       CancelTokenPtr cancel) {
  if (!challenge_) co_return Status{};
  if (challenge_->scheme == "basic") {
    if (settings_.credentials && settings_.credentials->username.empty() &&
        !settings_.credentials->identityToken.empty())
      co_return makeError(ErrorCode::kAuth, settings_.host +
                                                " asks for a password (Basic) and only an identity token was found "
                                                "for it; log in with a username and password");
    if (!settings_.credentials)
      co_return makeError(ErrorCode::kAuth, settings_.host +
                                                " requires a login and no credentials were found for it "
                                                "(add it to the auth file: --authfile, REGISTRY_AUTH_FILE)");
    request.set("Authorization",
                "Basic " + base64Encode(settings_.credentials->username + ":" + settings_.credentials->password));
    co_return Status{};
  }
  if (challenge_->scheme != "bearer")
    co_return makeError(ErrorCode::kAuth,
                        settings_.host + " asks for unsupported auth scheme '" + challenge_->scheme + "'");
  const auto key = joinScopes(scopes);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || it->second.expires <= std::chrono::steady_clock::now()) {
    auto st = co_await fetchToken(scopes, cancel);
    if (!st) co_return st;
    it = tokens_.find(key);
  }
  request.set("Authorization", "Bearer " + it->second.value);
  co_return Status{};
}

Task<Result<std::pair<HttpResponse, Lease>>> RegistryClient::callStreaming(HttpRequest request,
                                                                           std::vector<std::string> scopes,
                                                                           std::string kind, CancelTokenPtr cancel) {
  if (auto st = co_await ping(cancel); !st) co_return st.error();
  bool reauthed = false;
  Error last = makeError(ErrorCode::kInternal, "no attempt");
  for (int attempt = 1; attempt <= settings_.retry.maxAttempts; ++attempt) {
    HttpRequest req = request;
    if (auto st = co_await authorize(req, scopes, cancel); !st) co_return st.error();
    auto lease = co_await pool_.acquire(*origin_, cancel);
    if (!lease) {
      last = lease.error();
    } else {
      const bool wasReused = (*lease)->reused();
      ++counts_[kind];
      const auto sentAt = std::chrono::steady_clock::now();
      auto head = co_await (*lease)->sendAndReadHead(req);
      // Only method, host and path: never headers (they carry credentials).
      spdlog::debug(
          "{} {}{} -> {} ({} ms{})", req.method, settings_.host, req.target.substr(0, req.target.find('?')),
          head ? std::to_string(head->status) : head.error().message,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sentAt).count(),
          wasReused ? ", reused" : "");
      if (!head) {
        (*lease).discard();
        last = head.error();
        if (wasReused && last.code == ErrorCode::kNetwork) {
          --attempt;  // a keep-alive connection the server had closed: not a real failure
          continue;
        }
      } else if (head->status == 401 && !reauthed && challenge_ && challenge_->scheme == "bearer") {
        (*lease).discard();
        if (auto c = parseAuthChallenge(head->header("WWW-Authenticate"))) challenge_ = c;
        tokens_.erase(joinScopes(scopes));
        reauthed = true;
        --attempt;
        continue;
      } else if (RetryPolicy::isRetryableStatus(head->status) && attempt < settings_.retry.maxAttempts) {
        (*lease).discard();
        spdlog::warn("{} {}{}: HTTP {}; retrying (attempt {} of {})", req.method, settings_.host,
                     req.target.substr(0, req.target.find('?')), head->status, attempt + 1,
                     settings_.retry.maxAttempts);
        co_await backoff(attempt, RetryPolicy::parseRetryAfter(head->header("Retry-After")), cancel);
        continue;
      } else {
        co_return std::pair<HttpResponse, Lease>{std::move(*head), std::move(*lease)};
      }
    }
    if (cancel && cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, "cancelled");
    if (!last.transient) break;
    if (attempt < settings_.retry.maxAttempts) {
      spdlog::warn("{} {}: {}; retrying (attempt {} of {})", request.method, settings_.host, last.message, attempt + 1,
                   settings_.retry.maxAttempts);
      co_await backoff(attempt, std::nullopt, cancel);
    }
  }
  co_return last;
}

Task<Result<HttpResponse>> RegistryClient::call(HttpRequest request, std::vector<std::string> scopes,
                                                CallOptions options, CancelTokenPtr cancel) {
  // Bodies of small calls are read through the streaming path, then collected with a limit.
  const bool head = request.method == "HEAD";  // its Content-Length describes a body never sent
  auto started = co_await callStreaming(std::move(request), std::move(scopes), options.kind, cancel);
  if (!started) co_return started.error();
  auto& [resp, lease] = *started;
  if (!head && resp.contentLength && *resp.contentLength > options.bodyLimit) {
    lease.discard();
    co_return makeError(ErrorCode::kRegistry, settings_.host + " sent " + std::to_string(*resp.contentLength) +
                                                  " bytes for " + options.kind + "; the limit is " +
                                                  std::to_string(options.bodyLimit));
  }
  std::string body;
  char buf[16 * 1024];
  while (true) {
    auto n = co_await lease->readBody(buf, sizeof buf);
    if (!n) {
      lease.discard();
      co_return n.error();
    }
    if (*n == 0) break;
    if (body.size() + *n > options.bodyLimit) {
      lease.discard();
      co_return makeError(ErrorCode::kRegistry, settings_.host + " sent an oversized body for " + options.kind);
    }
    body.append(buf, *n);
  }
  resp.body = std::move(body);
  co_return std::move(resp);
}

}  // namespace autonomy::registry
