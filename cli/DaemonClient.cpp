#include "cli/DaemonClient.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "engine/registry/TlsContext.hpp"

namespace autonomy::cli {

namespace {

constexpr std::size_t kReplyLimit = 64 * 1024 * 1024;  // a catalog of many repos is still far below
constexpr int kTries = 3;

std::string envOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// Runs one coroutine on the client's io_context; other handlers (the signal set) stay armed.
template <typename T>
T runOn(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](const std::exception_ptr& e, T value) {
    if (e)
      error = e;
    else
      result = std::move(value);
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  if (error) std::rethrow_exception(error);
  if (!result) return T(makeError(ErrorCode::kInternal, "the daemon call did not finish"));
  return std::move(*result);
}

Result<std::string> readToken(const std::string& path, bool explicitlyNamed) {
  std::ifstream in(path);
  if (!in) {
    if (!explicitlyNamed) return std::string();  // the default file may well be absent (then 401 says so)
    return makeError(ErrorCode::kUsage, "cannot read the daemon token file " + path + ": check --token-file / " +
                                            kEnvDaemonTokenFile + " and its permissions");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string token = buf.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  if (token.empty() && explicitlyNamed)
    return makeError(ErrorCode::kUsage, "the daemon token file " + path + " is empty");
  return token;
}

}  // namespace

std::string daemonUrlFrom(const DaemonFlags& flags) { return flags.via.empty() ? envOr(kEnvDaemonUrl) : flags.via; }

nlohmann::json DaemonReply::json() const { return nlohmann::json::parse(body, nullptr, false); }

Error DaemonReply::error(const std::string& what) const {
  const auto j = json();
  std::string message = "HTTP " + std::to_string(status);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    message = e.value("message", message);
    if (e.contains("field") && e["field"].is_string()) message += " (field " + e["field"].get<std::string>() + ")";
  }
  ErrorCode code = ErrorCode::kRegistry;
  if (status == 401 || status == 403) {
    code = ErrorCode::kAuth;
    message += ": pass the daemon's token with --token-file or " + std::string(kEnvDaemonTokenFile);
  } else if (status == 400 || status == 404 || status == 405 || status == 409 || status == 413) {
    code = ErrorCode::kUsage;
  } else if (status == 503) {
    code = ErrorCode::kNetwork;
  }
  return makeError(code, what + ": " + message);
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (const char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

Result<std::unique_ptr<DaemonClient>> DaemonClient::connect(const DaemonFlags& flags) {
  const std::string url = daemonUrlFrom(flags);
  if (url.empty())
    return makeError(ErrorCode::kUsage,
                     "no daemon named: pass --via http://127.0.0.1:7480 or set " + std::string(kEnvDaemonUrl));
  auto parsed = registry::Url::parse(url);
  if (!parsed || (parsed->target != "/" && !parsed->target.empty()))
    return makeError(ErrorCode::kUsage,
                     "--via " + url + ": expected the daemon's base URL, http://host:port or https://host:port");
  if (!parsed->tls && !isLoopbackHost(parsed->host) && !flags.allowInsecure)
    return makeError(ErrorCode::kUsage, "--via " + url +
                                            ": plain HTTP to a host that is not loopback would send the API token "
                                            "in clear; use https:// (api.tls in syncd.yaml), or pass "
                                            "--allow-insecure-daemon if that link is trusted");
  std::unique_ptr<DaemonClient> c(new DaemonClient());
  c->url_ = parsed->str();
  if (c->url_.ends_with("/")) c->url_.pop_back();
  c->origin_.url = *parsed;
  // The event stream sends a keep-alive every 15 s; a minute of silence means the daemon is gone.
  c->origin_.stallTimeout = std::chrono::seconds(60);
  if (parsed->tls) {
    // The daemon's CA is trusted like a registry's: system CAs plus certs.d/<host:port>/ca.crt.
    auto tls = registry::makeTlsContext(parsed->authority(), registry::defaultCertsRoots());
    if (!tls) return tls.error();
    c->origin_.tls = *tls;
  }
  std::string tokenFile = flags.tokenFile;
  bool named = true;
  if (tokenFile.empty()) tokenFile = envOr(kEnvDaemonTokenFile);
  if (tokenFile.empty()) {
    tokenFile = kDefaultTokenFile;
    named = false;
  }
  auto token = readToken(tokenFile, named);
  if (!token) return token.error();
  c->token_ = *token;
  return c;
}

DaemonClient::~DaemonClient() = default;

registry::HttpRequest DaemonClient::request(const std::string& method, const std::string& target) const {
  registry::HttpRequest req;
  req.method = method;
  req.target = target;
  req.set("Host", origin_.url.authority());
  req.set("User-Agent", std::string("autonomy/") + AUTONOMY_VERSION);
  req.set("Accept", method == "GET" && target.ends_with("/events") ? "text/event-stream" : "application/json");
  if (!token_.empty()) req.set("Authorization", "Bearer " + token_);
  return req;
}

Result<DaemonReply> DaemonClient::call(const std::string& method, const std::string& target, const std::string& body,
                                       const std::string& idempotencyKey) {
  Result<DaemonReply> r = makeError(ErrorCode::kInternal, "no attempt");
  for (int attempt = 1; attempt <= kTries; ++attempt) {
    r = callOnce(method, target, body, idempotencyKey);
    if (r || r.error().code != ErrorCode::kNetwork) return r;
    // Only a call that cannot repeat an effect is retried blindly.
    if (method != "GET" && idempotencyKey.empty()) return r;
    if (attempt < kTries) std::this_thread::sleep_for(std::chrono::milliseconds(250 * attempt));
  }
  return makeError(ErrorCode::kNetwork, "cannot reach autonomy-syncd at " + url_ + ": " + r.error().message +
                                            " (is the daemon running? check --via / " + kEnvDaemonUrl + ")");
}

Result<DaemonReply> DaemonClient::callOnce(const std::string& method, const std::string& target,
                                           const std::string& body, const std::string& idempotencyKey) {
  auto req = request(method, target);
  if (!body.empty() || method == "POST") {
    req.set("Content-Type", "application/json");
    req.body = body;
  }
  if (!idempotencyKey.empty()) req.set("Idempotency-Key", idempotencyKey);
  auto task = [](DaemonClient* self, registry::HttpRequest message) -> registry::Task<Result<DaemonReply>> {
    if (!self->conn_ || !self->conn_->reusable()) {
      auto conn = co_await registry::Connection::open(self->io_.get_executor(), self->origin_);
      if (!conn) co_return conn.error();
      self->conn_ = std::move(*conn);
    }
    auto res = co_await self->conn_->exchange(std::move(message), kReplyLimit);
    if (!res) {
      self->conn_.reset();
      co_return res.error();
    }
    DaemonReply reply;
    reply.status = res->status;
    reply.body = std::move(res->body);
    reply.location = res->header("Location");
    co_return reply;
  };
  return runOn(io_, task(this, std::move(req)));
}

void DaemonClient::armSignals() {
  if (signals_) return;
  signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM);
  waitForSignal();
}

// Re-armed from its own handler; the handler holds only `this` (a handler that owned itself
// through a shared_ptr was a cycle: LeakSanitizer found it).
void DaemonClient::waitForSignal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (++interrupts_ > 1) {
      static constexpr char kMsg[] = "\ninterrupted again: exiting now (the daemon carries on with what it was told)\n";
      (void)!::write(2, kMsg, sizeof kMsg - 1);
      ::_exit(130);
    }
    if (following_) following_->close();
    waitForSignal();
  });
}

Result<FollowEnd> DaemonClient::follow(const std::string& jobId, const std::function<void(const SseEvent&)>& onEvent) {
  armSignals();
  // An interrupt that came before this follow (say, while the job was submitted) counts too.
  const int interruptsBefore = acknowledged_;
  auto task = [](DaemonClient* self, std::string id, const std::function<void(const SseEvent&)>* handler,
                 int before) -> registry::Task<Result<FollowEnd>> {
    auto conn = co_await registry::Connection::open(self->io_.get_executor(), self->origin_);
    if (!conn) co_return conn.error();
    auto stream = std::move(*conn);
    self->following_ = stream.get();
    struct Unhook {
      DaemonClient* self;
      ~Unhook() { self->following_ = nullptr; }
    } unhook{self};
    auto head = co_await stream->sendAndReadHead(self->request("GET", "/v1/jobs/" + id + "/events"));
    if (!head) co_return head.error();
    if (head->status != 200) {
      DaemonReply reply;
      reply.status = head->status;
      char buf[4096];
      while (true) {
        auto n = co_await stream->readBody(buf, sizeof buf);
        if (!n || *n == 0 || reply.body.size() > 65536) break;
        reply.body.append(buf, *n);
      }
      co_return reply.error("job " + id + " events");
    }
    SseParser parser;
    char buf[16 * 1024];
    while (true) {
      if (self->interrupts_ > before) co_return FollowEnd::kInterrupted;
      auto n = co_await stream->readBody(buf, sizeof buf);
      if (self->interrupts_ > before) co_return FollowEnd::kInterrupted;
      if (!n) co_return n.error();
      if (*n == 0) co_return FollowEnd::kStreamEnded;
      for (const auto& event : parser.feed(std::string_view(buf, *n))) {
        (*handler)(event);
        if (event.type == "job-done") co_return FollowEnd::kJobDone;
        if (event.type == "snapshot") {
          const auto job = nlohmann::json::parse(event.data, nullptr, false);
          const std::string state = job.is_object() ? job.value("state", "") : "";
          if (state != "queued" && state != "running" && !state.empty()) co_return FollowEnd::kJobDone;
        }
        if (event.type == "error") {
          DaemonReply reply;
          reply.status = 500;
          reply.body = event.data;
          co_return reply.error("job " + id + " events");
        }
      }
    }
  };
  auto end = runOn(io_, task(this, jobId, &onEvent, interruptsBefore));
  if (end && *end == FollowEnd::kInterrupted) acknowledged_ = interrupts_;
  return end;
}

std::string newIdempotencyKey() {
  std::random_device rd;
  std::ostringstream out;
  out << "autonomy-cli-" << std::hex;
  for (int i = 0; i < 4; ++i) out << rd();
  return out.str();
}

}  // namespace autonomy::cli
