#pragma once
// A tiny TCP proxy on 127.0.0.1 that cuts every connection after it has carried N bytes from the
// client (like a flaky edge link that resets long uploads), or one that loses the answers of
// chosen HTTP requests: the request reaches the registry, which acts on it and answers, and the
// client sees its connection reset instead. Blocking sockets, a thread per direction: test-sized,
// not a product. The destructor shuts everything down and joins.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace autonomy::testing::syncit {

// Which answers a DropProxy loses: the first `count` requests whose method is `method` and whose
// target contains `targetContains`.
struct LostAnswers {
  std::string method;
  std::string targetContains;
  std::size_t count = 1;
};

class DropProxy {
 public:
  DropProxy(std::uint16_t upstreamPort, std::uint64_t dropAfterBytes);
  DropProxy(std::uint16_t upstreamPort, LostAnswers lose);
  ~DropProxy();
  DropProxy(const DropProxy&) = delete;
  DropProxy& operator=(const DropProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::size_t connections() const { return connections_.load(); }
  std::size_t drops() const { return drops_.load(); }  // connections cut (or answers lost)

 private:
  struct Conn {
    int client = -1;
    int upstream = -1;
    bool closed = false;
  };

  void listen();
  void acceptLoop();
  void serve(const std::shared_ptr<Conn>& conn);
  void serveLosingAnswers(Conn& conn);
  bool takeLoss(const std::string& requestHead);
  void closeConn(Conn& conn);

  std::uint16_t upstreamPort_;
  std::uint64_t dropAfter_ = 0;
  std::optional<LostAnswers> lose_;
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
