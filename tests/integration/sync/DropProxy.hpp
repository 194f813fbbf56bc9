#pragma once
// A tiny TCP proxy on 127.0.0.1 that cuts every connection after it has carried N bytes from the
// client (like a flaky edge link that resets long uploads). Blocking sockets, a thread per
// direction: test-sized, not a product. The destructor shuts everything down and joins.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace autonomy::testing::syncit {

class DropProxy {
 public:
  DropProxy(std::uint16_t upstreamPort, std::uint64_t dropAfterBytes);
  ~DropProxy();
  DropProxy(const DropProxy&) = delete;
  DropProxy& operator=(const DropProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::size_t connections() const { return connections_.load(); }
  std::size_t drops() const { return drops_.load(); }

 private:
  struct Conn {
    int client = -1;
    int upstream = -1;
    bool closed = false;
  };

  void acceptLoop();
  void serve(std::shared_ptr<Conn> conn);
  void closeConn(Conn& conn);

  std::uint16_t upstreamPort_;
  std::uint64_t dropAfter_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> drops_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace autonomy::testing::syncit
