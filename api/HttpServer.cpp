#include "api/HttpServer.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <map>

#include "api/HttpSession.hpp"

namespace autonomy::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using unixsock = asio::local::stream_protocol;
using session::kUse;
using UnixStream = beast::basic_stream<unixsock, asio::any_io_executor, beast::unlimited_rate_policy>;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::any_io_executor ex, Router& r, jobs::EventHub& e, ServerOptions o)
      : executor(std::move(ex)), router(r), events(e), options(std::move(o)) {}

  asio::any_io_executor executor;
  Router& router;
  jobs::EventHub& events;
  ServerOptions options;
  std::shared_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> tcpAcceptors;
  std::vector<std::unique_ptr<unixsock::acceptor>> unixAcceptors;
  std::vector<std::string> bound;
  struct Slot {
    std::function<void()> close;
    std::string peer;  // remote address ("unix" for unix sockets)
    session::SessionState state;
  };
  std::map<std::uint64_t, Slot> sessions;  // open connections, oldest first
  std::uint64_t nextSession = 0;
  bool stopping = false;

  session::SessionEnv env(session::SessionState* state) const {
    session::SessionEnv e;
    e.router = &router;
    e.events = &events;
    e.headerTimeout = options.headerTimeout;
    e.bodyTimeout = options.bodyTimeout;
    e.writeTimeout = options.writeTimeout;
    e.sseKeepAlive = options.sseKeepAlive;
    e.maxRequests = options.maxRequestsPerConnection;
    e.maxAge = options.maxConnectionAge;
    e.serverName = options.serverName;
    e.stopping = &stopping;
    e.state = state;
    return e;
  }
};

namespace {

using ImplPtr = std::shared_ptr<HttpServer::Impl>;

// Registers the connection (a way to close it, its peer, its state) for stop() and shedding;
// unregisters when the session ends.
class SessionGuard {
 public:
  SessionGuard(ImplPtr impl, std::string peer, std::function<void()> closer)
      : impl_(std::move(impl)), id_(++impl_->nextSession) {
    impl_->sessions.emplace(id_, HttpServer::Impl::Slot{std::move(closer), std::move(peer), {}});
  }
  ~SessionGuard() { impl_->sessions.erase(id_); }
  SessionGuard(const SessionGuard&) = delete;
  SessionGuard& operator=(const SessionGuard&) = delete;
  session::SessionEnv env() const { return impl_->env(&impl_->sessions.at(id_).state); }

 private:
  ImplPtr impl_;
  std::uint64_t id_;
};

std::string peerOf(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string();
}

// Closes the oldest connection that is only waiting (idle keep-alive, or a request header still
// arriving), one that never showed the token first; with `peer`, only that peer's. A connection
// answering a request or streaming events is never shed.
bool shedOne(const ImplPtr& impl, const std::string* peer) {
  using Phase = session::SessionState::Phase;
  for (const bool authenticated : {false, true}) {
    for (auto& [id, slot] : impl->sessions) {
      if (slot.state.phase != Phase::kWaiting || slot.state.authenticated != authenticated) continue;
      if (peer != nullptr && slot.peer != *peer) continue;
      auto close = slot.close;          // the session unregisters itself when its read fails
      slot.state.phase = Phase::kBusy;  // not chosen twice
      close();
      return true;
    }
  }
  return false;
}

// Room for one more connection from `peer`: within the per-peer and the total limits, shedding
// waiting connections (unauthenticated first) rather than refusing the newcomer.
bool makeRoom(const ImplPtr& impl, const std::string& peer) {
  std::size_t fromPeer = 0;
  for (const auto& [id, slot] : impl->sessions) fromPeer += slot.peer == peer ? 1 : 0;
  if (fromPeer >= impl->options.maxConnectionsPerPeer && !shedOne(impl, &peer)) return false;
  if (impl->sessions.size() >= impl->options.maxConnections && !shedOne(impl, nullptr)) return false;
  return true;
}

asio::awaitable<void> plainSession(ImplPtr impl, tcp::socket socket) {
  const std::string peer = peerOf(socket);
  beast::tcp_stream stream(std::move(socket));
  SessionGuard guard(impl, peer, [&stream] { stream.socket().close(); });
  const bool clean = co_await session::serve(stream, guard.env());
  if (clean) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

asio::awaitable<void> tlsSession(ImplPtr impl, tcp::socket socket) {
  const std::string peer = peerOf(socket);
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl->tls);
  SessionGuard guard(impl, peer, [&stream] { beast::get_lowest_layer(stream).socket().close(); });
  beast::get_lowest_layer(stream).expires_after(impl->options.headerTimeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUse);
  if (hec) co_return;
  const bool clean = co_await session::serve(stream, guard.env());
  if (clean) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    auto [sec] = co_await stream.async_shutdown(kUse);
    (void)sec;
  }
}

asio::awaitable<void> unixSession(ImplPtr impl, unixsock::socket socket) {
  UnixStream stream(std::move(socket));
  SessionGuard guard(impl, "unix", [&stream] { stream.socket().close(); });
  co_await session::serve(stream, guard.env());
}

void logSessionError(const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::warn("api connection: {}", ex.what());
  }
}

asio::awaitable<void> acceptTcp(ImplPtr impl, tcp::acceptor* acceptor) {
  while (!impl->stopping) {
    auto [ec, socket] = co_await acceptor->async_accept(kUse);
    if (ec) {
      if (impl->stopping || ec == asio::error::operation_aborted) break;
      spdlog::warn("api accept: {}", ec.message());
      continue;
    }
    if (!makeRoom(impl, peerOf(socket))) {
      spdlog::warn("api: {} connections open, none of them idle; refusing another", impl->sessions.size());
      continue;
    }
    if (impl->tls)
      asio::co_spawn(impl->executor, tlsSession(impl, std::move(socket)), logSessionError);
    else
      asio::co_spawn(impl->executor, plainSession(impl, std::move(socket)), logSessionError);
  }
}

asio::awaitable<void> acceptUnix(ImplPtr impl, unixsock::acceptor* acceptor) {
  while (!impl->stopping) {
    auto [ec, socket] = co_await acceptor->async_accept(kUse);
    if (ec) {
      if (impl->stopping || ec == asio::error::operation_aborted) break;
      spdlog::warn("api accept: {}", ec.message());
      continue;
    }
    if (!makeRoom(impl, "unix")) continue;
    asio::co_spawn(impl->executor, unixSession(impl, std::move(socket)), logSessionError);
  }
}

Error listenError(const config::ListenAddress& a, const std::string& what, const boost::system::error_code& ec) {
  return makeError(ErrorCode::kConfig, "listen " + a.str() + ": " + what + ": " + ec.message());
}

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor, Router& router, jobs::EventHub& events, ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), router, events, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  auto& impl = *impl_;
  if (impl.options.tls) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(impl.options.tls->certFile.string(), ec);
    if (ec)
      return makeError(ErrorCode::kConfig,
                       "api.tls.cert_file " + impl.options.tls->certFile.string() + ": " + ec.message());
    ctx->use_private_key_file(impl.options.tls->keyFile.string(), asio::ssl::context::pem, ec);
    if (ec)
      return makeError(ErrorCode::kConfig,
                       "api.tls.key_file " + impl.options.tls->keyFile.string() + ": " + ec.message());
    impl.tls = std::move(ctx);
  }
  for (const auto& a : impl.options.listen) {
    boost::system::error_code ec;
    if (a.kind == config::ListenAddress::Kind::kUnix) {
      std::error_code fec;
      std::filesystem::create_directories(a.unixPath.parent_path(), fec);
      if (std::filesystem::is_socket(a.unixPath, fec)) std::filesystem::remove(a.unixPath, fec);
      auto acc = std::make_unique<unixsock::acceptor>(impl.executor);
      acc->open(unixsock(), ec);
      if (!ec) acc->bind(unixsock::endpoint(a.unixPath.string()), ec);
      if (ec) return listenError(a, "bind", ec);
      ::chmod(a.unixPath.c_str(), 0660);
      acc->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return listenError(a, "listen", ec);
      impl.bound.push_back(a.str());
      impl.unixAcceptors.push_back(std::move(acc));
      continue;
    }
    auto address = asio::ip::make_address(a.host == "localhost" ? "127.0.0.1" : a.host, ec);
    if (ec) return listenError(a, "address", ec);
    const tcp::endpoint endpoint(address, a.port);
    auto acc = std::make_unique<tcp::acceptor>(impl.executor);
    acc->open(endpoint.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(endpoint, ec);
    if (ec) return listenError(a, "bind", ec);
    acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return listenError(a, "listen", ec);
    const auto local = acc->local_endpoint(ec);
    config::ListenAddress shown = a;
    shown.port = local.port();
    impl.bound.push_back((impl.tls ? "https://" : "http://") + shown.str());
    impl.tcpAcceptors.push_back(std::move(acc));
  }
  for (auto& acc : impl.tcpAcceptors) asio::co_spawn(impl.executor, acceptTcp(impl_, acc.get()), logSessionError);
  for (auto& acc : impl.unixAcceptors) asio::co_spawn(impl.executor, acceptUnix(impl_, acc.get()), logSessionError);
  return {};
}

void HttpServer::stop() {
  auto& impl = *impl_;
  if (impl.stopping) return;
  impl.stopping = true;
  boost::system::error_code ec;
  for (auto& acc : impl.tcpAcceptors) acc->close(ec);
  for (auto& acc : impl.unixAcceptors) {
    const auto path = acc->local_endpoint(ec).path();
    acc->close(ec);
    if (!path.empty()) ::unlink(path.c_str());
  }
  std::vector<std::function<void()>> closers;
  for (auto& [id, slot] : impl.sessions) closers.push_back(slot.close);
  for (auto& close : closers) close();
}

std::vector<std::string> HttpServer::boundAddresses() const { return impl_->bound; }
std::size_t HttpServer::openConnections() const { return impl_->sessions.size(); }

}  // namespace autonomy::api

namespace autonomy::api::session {

ApiRequest toApiRequest(const http::request<http::string_body>& req) {
  ApiRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(field.value());
  }
  r.body = req.body();
  return r;
}

http::response<http::string_body> toHttpResponse(const ApiResponse& a, unsigned version, bool keepAlive,
                                                 const std::string& serverName) {
  http::response<http::string_body> res(static_cast<http::status>(a.status), version);
  res.set(http::field::server, serverName);
  res.set(http::field::content_type, a.contentType);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [k, v] : a.headers) res.set(k, v);
  res.keep_alive(keepAlive);
  res.body() = a.body;
  res.prepare_payload();
  return res;
}

std::string sseHeader(const std::string& serverName) {
  return "HTTP/1.1 200 OK\r\nServer: " + serverName +
         "\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\n"
         "Connection: close\r\n\r\n";
}

std::string sseFrame(const jobs::JobEvent& e) {
  const auto data = e.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + data + "\n\n";
}

std::string snapshotFrame(const ApiResponse& job) {
  std::string data = job.body;
  while (!data.empty() && data.back() == '\n') data.pop_back();
  return std::string("event: ") + (job.status == 200 ? "snapshot" : "error") + "\ndata: " + data + "\n\n";
}

}  // namespace autonomy::api::session
