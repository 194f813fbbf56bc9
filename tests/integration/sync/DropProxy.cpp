#include "tests/integration/sync/DropProxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace autonomy::testing::syncit {

namespace {

// Copies from `from` to `to` until EOF/error or, when limit > 0, until `limit` bytes have passed.
// Returns true if it stopped because of the limit.
bool pump(int from, int to, std::uint64_t limit) {
  char buffer[64 * 1024];
  std::uint64_t passed = 0;
  while (true) {
    std::size_t want = sizeof buffer;
    if (limit > 0 && limit - passed < want) want = static_cast<std::size_t>(limit - passed);
    if (limit > 0 && want == 0) return true;
    const ssize_t n = ::read(from, buffer, want);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(to, buffer + off, static_cast<std::size_t>(n - off));
      if (w <= 0) return false;
      off += w;
    }
    passed += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

DropProxy::DropProxy(std::uint16_t upstreamPort, std::uint64_t dropAfterBytes)
    : upstreamPort_(upstreamPort), dropAfter_(dropAfterBytes) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) throw std::runtime_error("DropProxy: socket failed");
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 64) != 0) {
    ::close(listener_);
    throw std::runtime_error("DropProxy: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

DropProxy::~DropProxy() {
  stop_ = true;
  ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listener_);
  {
    std::lock_guard lock(mutex_);
    for (auto& c : conns_)
      if (!c->closed) {
        ::shutdown(c->client, SHUT_RDWR);
        ::shutdown(c->upstream, SHUT_RDWR);
      }
  }
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

void DropProxy::acceptLoop() {
  while (!stop_) {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) {
      if (stop_) return;
      continue;
    }
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(upstreamPort_);
    if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(client);
      if (upstream >= 0) ::close(upstream);
      continue;
    }
    ++connections_;
    auto conn = std::make_shared<Conn>();
    conn->client = client;
    conn->upstream = upstream;
    std::lock_guard lock(mutex_);
    if (stop_) {
      ::close(client);
      ::close(upstream);
      return;
    }
    conns_.push_back(conn);
    workers_.emplace_back([this, conn] { serve(conn); });
  }
}

void DropProxy::serve(std::shared_ptr<Conn> conn) {
  std::thread back([conn] {
    pump(conn->upstream, conn->client, 0);
    ::shutdown(conn->client, SHUT_WR);
  });
  const bool cut = pump(conn->client, conn->upstream, dropAfter_);
  if (cut) ++drops_;
  // Either way this connection is over: a cut ends both directions at once, as a reset link does.
  ::shutdown(conn->client, SHUT_RDWR);
  ::shutdown(conn->upstream, SHUT_RDWR);
  back.join();
  closeConn(*conn);
}

void DropProxy::closeConn(Conn& conn) {
  std::lock_guard lock(mutex_);
  if (conn.closed) return;
  ::close(conn.client);
  ::close(conn.upstream);
  conn.closed = true;
}

}  // namespace autonomy::testing::syncit
