#pragma once
// The REST API over HTTP/1.1 (Beast, coroutines): TCP listeners (HTTPS when api.tls is set) and
// unix sockets, keep-alive, a 1 MiB body limit, idle timeouts, and server-sent events for
// GET /v1/jobs/{id}/events. Everything runs on the daemon's one io_context.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/Routes.hpp"
#include "config/DaemonConfig.hpp"
#include "jobs/EventHub.hpp"

namespace autonomy::api {

struct ServerOptions {
  std::vector<config::ListenAddress> listen;
  std::optional<config::TlsConfig> tls;    // TCP listeners serve HTTPS
  std::chrono::seconds headerTimeout{10};  // to send a request's header (or stay idle between requests)
  std::chrono::seconds bodyTimeout{30};    // to send its body
  std::chrono::seconds writeTimeout{30};   // for the client to take an answer or an event
  std::chrono::seconds sseKeepAlive{15};   // comment lines keep event streams open through proxies
  std::size_t maxRequestsPerConnection = 1000;
  std::chrono::seconds maxConnectionAge{10 * 60};  // keep-alive lifetime
  // At either limit a new connection sheds the oldest merely waiting one (never-authenticated
  // first) instead of being refused; only when all are busy is it refused.
  std::size_t maxConnections = 1024;
  std::size_t maxConnectionsPerPeer = 256;
  std::string serverName = "autonomy-syncd";
};

class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor executor, Router& router, jobs::EventHub& events, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listener (an error names the address) and starts accepting.
  Status start();
  // Closes the listeners and every open connection; event streams end.
  void stop();
  // "127.0.0.1:7480", "unix:/run/...": what is actually bound (port 0 resolved).
  std::vector<std::string> boundAddresses() const;
  std::size_t openConnections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace autonomy::api
