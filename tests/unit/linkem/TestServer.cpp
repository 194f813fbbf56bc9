#include "tests/unit/linkem/TestServer.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/write.hpp>

namespace autonomy::linkem::testing {

using tcp = boost::asio::ip::tcp;

TestServer::TestServer(Mode mode)
    : mode_(mode), io_(1), acceptor_(io_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)) {
  port_ = acceptor_.local_endpoint().port();
  boost::asio::co_spawn(io_, acceptLoop(this), boost::asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

TestServer::~TestServer() {
  io_.stop();
  thread_.join();
}

std::size_t TestServer::connectionCount() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

ConnectionRecord TestServer::record(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return index < records_.size() ? records_[index] : ConnectionRecord{};
}

bool TestServer::waitForBytes(std::size_t index, std::size_t bytes, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const ConnectionRecord r = record(index);
    if (r.received.size() >= bytes || r.ended) return r.received.size() >= bytes;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool TestServer::waitForEnd(std::size_t index, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!record(index).ended) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

boost::asio::awaitable<void> TestServer::acceptLoop(TestServer* server) {
  for (;;) {
    auto [ec, socket] = co_await server->acceptor_.async_accept(kUseTuple);
    if (ec) co_return;
    std::size_t index = 0;
    {
      std::lock_guard lock(server->mutex_);
      index = server->records_.size();
      server->records_.emplace_back();
    }
    boost::asio::co_spawn(server->io_, session(server, std::move(socket), index), boost::asio::detached);
  }
}

boost::asio::awaitable<void> TestServer::session(TestServer* server, tcp::socket socket, std::size_t index) {
  std::array<char, 64 * 1024> buffer{};
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(boost::asio::buffer(buffer), kUseTuple);
    {
      std::lock_guard lock(server->mutex_);
      ConnectionRecord& r = server->records_[index];
      r.received.append(buffer.data(), n);
      if (ec) {
        r.ended = true;
        r.reset = ec == boost::asio::error::connection_reset;
      }
    }
    if (ec == boost::asio::error::eof) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (ec) co_return;
    if (server->mode_ == Mode::kEcho) {
      auto [writeEc, written] =
          co_await boost::asio::async_write(socket, boost::asio::buffer(buffer.data(), n), kUseTuple);
      if (writeEc) co_return;
    }
  }
}

}  // namespace autonomy::linkem::testing
