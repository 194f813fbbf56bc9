#pragma once
// The upstream for the proxy tests: an echo or a sink server on 127.0.0.1 with its own thread,
// recording what each connection received and how it ended.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "tools/linkem/Asio.hpp"

namespace autonomy::linkem::testing {

struct ConnectionRecord {
  std::string received;
  bool ended = false;  // EOF or error seen
  bool reset = false;  // ended by ECONNRESET
};

class TestServer {
 public:
  enum class Mode {
    kEcho,  // writes back what it reads; half-closes after the client's FIN
    kSink,  // reads everything; closes after the client's FIN
  };

  explicit TestServer(Mode mode);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::size_t connectionCount() const;
  // A copy of connection `index` (0 = first accepted); empty if it has not been accepted yet.
  ConnectionRecord record(std::size_t index) const;
  // Polls until connection `index` has received `bytes` bytes or has ended; false on timeout.
  bool waitForBytes(std::size_t index, std::size_t bytes, std::chrono::milliseconds timeout) const;
  bool waitForEnd(std::size_t index, std::chrono::milliseconds timeout) const;

 private:
  static boost::asio::awaitable<void> acceptLoop(TestServer* server);
  static boost::asio::awaitable<void> session(TestServer* server, boost::asio::ip::tcp::socket socket,
                                              std::size_t index);

  Mode mode_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::deque<ConnectionRecord> records_;
  std::thread thread_;
};

}  // namespace autonomy::linkem::testing
