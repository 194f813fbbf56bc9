#include "daemon/HealthProbe.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>

namespace autonomy::daemon {

namespace asio = boost::asio;

namespace {

constexpr const char* kRequest = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

// Blocking calls with a deadline: the kernel's socket timeouts bound every read and write.
void setDeadline(int fd, std::chrono::seconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

template <typename Stream>
Result<int> askHealthz(Stream& stream, const std::string& where) {
  boost::system::error_code ec;
  asio::write(stream, asio::buffer(std::string(kRequest)), ec);
  asio::streambuf reply;
  if (!ec) asio::read_until(stream, reply, "\r\n", ec);
  if (ec) return makeError(ErrorCode::kNetwork, where + ": " + ec.message());
  std::istream line(&reply);
  std::string version;
  int status = 0;
  line >> version >> status;
  if (!version.starts_with("HTTP/") || status == 0)
    return makeError(ErrorCode::kNetwork, where + " did not answer HTTP");
  return status;
}

std::string loopbackFor(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

}  // namespace

Result<int> probeHealth(const config::DaemonConfig& config, std::chrono::seconds timeout) {
  if (config.listen.empty()) return makeError(ErrorCode::kConfig, "the configuration has no listen: address");
  const auto& address = config.listen.front();
  asio::io_context io;
  boost::system::error_code ec;
  if (address.kind == config::ListenAddress::Kind::kUnix) {
    asio::local::stream_protocol::socket socket(io);
    socket.connect(asio::local::stream_protocol::endpoint(address.unixPath.string()), ec);
    if (ec) return makeError(ErrorCode::kNetwork, address.str() + ": " + ec.message());
    setDeadline(socket.native_handle(), timeout);
    return askHealthz(socket, address.str());
  }
  const std::string host = loopbackFor(address.host);
  const std::string where = host + ":" + std::to_string(address.port);
  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, std::to_string(address.port), ec);
  if (ec) return makeError(ErrorCode::kNetwork, where + ": " + ec.message());
  asio::ip::tcp::socket socket(io);
  asio::connect(socket, endpoints, ec);
  if (ec) return makeError(ErrorCode::kNetwork, where + ": " + ec.message());
  setDeadline(socket.native_handle(), timeout);
  if (!config.api.tls) return askHealthz(socket, where);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, tls);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return makeError(ErrorCode::kNetwork, where + " (TLS): " + ec.message());
  return askHealthz(stream, where);
}

}  // namespace autonomy::daemon
