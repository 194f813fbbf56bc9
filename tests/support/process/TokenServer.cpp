#include "tests/support/process/TokenServer.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "tests/support/process/Pki.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// A client that connects and never sends must not wedge the single-connection loop.
constexpr long kSocketTimeoutSeconds = 5;

void setSocketTimeouts(tcp::socket& socket) {
  timeval timeout{kSocketTimeoutSeconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

}  // namespace

struct TokenServer::Impl {
  explicit Impl(TokenServerOptions options)
      : issuer(std::move(options)),
        dir("token-server"),
        acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    pki::writeFile(dir.path() / "token-signer.crt", issuer.certPem());
    port = acceptor.local_endpoint().port();
    thread = std::thread([this] { serve(); });
  }

  ~Impl() {  // NOLINT(bugprone-exception-escape): a throw here should end the test run
    stopping = true;
    // accept() does not return when the acceptor is closed from another thread: connect to it.
    boost::system::error_code ec;
    asio::io_context wakeIo;
    tcp::socket wake(wakeIo);
    wake.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    thread.join();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void serve() {
    while (!stopping) {
      tcp::socket socket(io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping) break;
      if (ec) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      setSocketTimeouts(socket);
      serveOne(socket);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  void serveOne(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) return;

    http::response<http::string_body> response;
    response.version(request.version());
    response.set(http::field::server, "autonomy-test-token-server");
    response.set(http::field::content_type, "application/json");
    if (request.method() == http::verb::post) {
      TokenResponse answer =
          issuer.handleForm(std::string_view(request.target().data(), request.target().size()), request.body());
      response.result(static_cast<unsigned>(answer.status));
      response.body() = std::move(answer.body);
    } else if (request.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.body() = R"({"errors":[{"code":"UNSUPPORTED","message":"only GET or POST /token"}]})";
    } else {
      auto authorization = request[http::field::authorization];
      TokenResponse answer = issuer.handle(std::string_view(request.target().data(), request.target().size()),
                                           std::string_view(authorization.data(), authorization.size()));
      response.result(static_cast<unsigned>(answer.status));
      response.body() = std::move(answer.body);
      if (!answer.wwwAuthenticate.empty()) response.set(http::field::www_authenticate, answer.wwwAuthenticate);
    }
    response.keep_alive(false);
    response.prepare_payload();
    http::write(socket, response, ec);
  }

  TokenIssuer issuer;
  TempDir dir;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

TokenServer::TokenServer(TokenServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
TokenServer::~TokenServer() = default;

std::uint16_t TokenServer::port() const { return impl_->port; }
std::string TokenServer::realm() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/token"; }
const std::string& TokenServer::issuer() const { return impl_->issuer.options().issuer; }
const std::string& TokenServer::service() const { return impl_->issuer.options().service; }
std::filesystem::path TokenServer::rootCertBundlePath() const { return impl_->dir.path() / "token-signer.crt"; }

RegistryTokenAuth TokenServer::registryAuth() const { return {realm(), service(), issuer(), rootCertBundlePath()}; }

std::vector<TokenRequest> TokenServer::requests() const { return impl_->issuer.requests(); }
std::size_t TokenServer::requestCount() const { return impl_->issuer.requests().size(); }
std::size_t TokenServer::tokensIssued() const { return impl_->issuer.tokensIssued(); }
void TokenServer::clearRequests() { impl_->issuer.clearRequests(); }
void TokenServer::setFailureStatus(int status) { impl_->issuer.setFailureStatus(status); }

std::string TokenServer::mintToken(const std::string& subject, const std::vector<TokenAccess>& access) const {
  return impl_->issuer.mintToken(subject, service(), access);
}

std::vector<TokenAccess> TokenServer::grantedAccess(const std::string& user,
                                                    const std::vector<std::string>& scopes) const {
  return impl_->issuer.grantedAccess(user, scopes);
}

}  // namespace autonomy::testing
