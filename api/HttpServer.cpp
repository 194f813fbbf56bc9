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
  std::map<std::uint64_t, std::function<void()>> closers;  // open connections
  std::uint64_t nextSession = 0;
  bool stopping = false;

  session::SessionEnv env() const {
    session::SessionEnv e;
    e.router = &router;
    e.events = &events;
    e.idleTimeout = options.idleTimeout;
    e.sseKeepAlive = options.sseKeepAlive;
    e.serverName = options.serverName;
    e.stopping = &stopping;
    return e;
  }
};

namespace {

using ImplPtr = std::shared_ptr<HttpServer::Impl>;

// Registers a way to close the connection at stop(); unregisters when the session ends.
class SessionGuard {
 public:
  SessionGuard(ImplPtr impl, std::function<void()> closer) : impl_(std::move(impl)), id_(++impl_->nextSession) {
    impl_->closers.emplace(id_, std::move(closer));
  }
  ~SessionGuard() { impl_->closers.erase(id_); }
  SessionGuard(const SessionGuard&) = delete;
  SessionGuard& operator=(const SessionGuard&) = delete;

 private:
  ImplPtr impl_;
  std::uint64_t id_;
};

asio::awaitable<void> plainSession(ImplPtr impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  SessionGuard guard(impl, [&stream] { stream.socket().close(); });
  const bool clean = co_await session::serve(stream, impl->env());
  if (clean) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

asio::awaitable<void> tlsSession(ImplPtr impl, tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl->tls);
  SessionGuard guard(impl, [&stream] { beast::get_lowest_layer(stream).socket().close(); });
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUse);
  if (hec) co_return;
  const bool clean = co_await session::serve(stream, impl->env());
  if (clean) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    auto [sec] = co_await stream.async_shutdown(kUse);
    (void)sec;
  }
}

asio::awaitable<void> unixSession(ImplPtr impl, unixsock::socket socket) {
  UnixStream stream(std::move(socket));
  SessionGuard guard(impl, [&stream] { stream.socket().close(); });
  co_await session::serve(stream, impl->env());
}

void logSessionError(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::warn("api connection: {}", ex.what());
  }
}

bool overLimit(const ImplPtr& impl) { return impl->closers.size() >= impl->options.maxConnections; }

asio::awaitable<void> acceptTcp(ImplPtr impl, tcp::acceptor* acceptor) {
  while (!impl->stopping) {
    auto [ec, socket] = co_await acceptor->async_accept(kUse);
    if (ec) {
      if (impl->stopping || ec == asio::error::operation_aborted) break;
      spdlog::warn("api accept: {}", ec.message());
      continue;
    }
    if (overLimit(impl)) {
      spdlog::warn("api: {} connections open; refusing another", impl->closers.size());
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
    if (overLimit(impl)) continue;
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
  auto closers = impl.closers;
  for (auto& [id, close] : closers) close();
}

std::vector<std::string> HttpServer::boundAddresses() const { return impl_->bound; }
std::size_t HttpServer::openConnections() const { return impl_->closers.size(); }

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
