#include "tests/integration/sync/DropProxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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
  listen();
}

DropProxy::DropProxy(std::uint16_t upstreamPort, LostAnswers lose)
    : upstreamPort_(upstreamPort), lose_(std::move(lose)) {
  listen();
}

void DropProxy::listen() {
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

void DropProxy::serve(const std::shared_ptr<Conn>& conn) {
  if (lose_) {
    serveLosingAnswers(*conn);
    ::shutdown(conn->client, SHUT_RDWR);
    ::shutdown(conn->upstream, SHUT_RDWR);
    closeConn(*conn);
    return;
  }
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

namespace {

// Reads from `fd` until `buffer` holds a header block ("\r\n\r\n"); false on EOF or error.
bool readHead(int fd, std::string& buffer, std::size_t& headEnd) {
  char chunk[16 * 1024];
  while ((headEnd = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  headEnd += 4;
  return true;
}

std::optional<std::uint64_t> contentLength(const std::string& head) {
  std::string lower(head);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(lower.substr(at + 17));
}

bool writeAll(int fd, const char* data, std::size_t size) {
  for (std::size_t off = 0; off < size;) {
    const ssize_t w = ::write(fd, data + off, size - off);
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

enum class Message { kRequest, kAnswer, kAnswerToHead };

// Moves one HTTP message (head, then its Content-Length body; an answer without one runs to the
// end of the connection) from `from` to `to`, starting with what `buffer` already holds; what is
// left of `buffer` afterwards belongs to the next message. `forward` false reads without writing.
bool relayMessage(int from, int to, std::string& buffer, Message kind, bool forward, std::string* headOut) {
  std::size_t headEnd = 0;
  if (!readHead(from, buffer, headEnd)) return false;
  const std::string head = buffer.substr(0, headEnd);
  if (headOut) *headOut = head;
  const bool bodyless =
      kind == Message::kAnswerToHead ||
      (kind == Message::kAnswer && (head.starts_with("HTTP/1.1 204") || head.starts_with("HTTP/1.1 304")));
  auto length = bodyless ? std::optional<std::uint64_t>(0) : contentLength(head);
  if (kind == Message::kRequest && !length) length = 0;
  if (forward && !writeAll(to, buffer.data(), headEnd)) return false;
  buffer.erase(0, headEnd);
  std::uint64_t left = length.value_or(UINT64_MAX);  // no length: the body ends with the connection
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
  if (forward && !writeAll(to, buffer.data(), first)) return false;
  buffer.erase(0, first);
  left -= first;
  char chunk[64 * 1024];
  while (left > 0) {
    const ssize_t n = ::read(from, chunk, static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof chunk)));
    if (n <= 0) return !length;
    if (forward && !writeAll(to, chunk, static_cast<std::size_t>(n))) return false;
    left -= static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace

bool DropProxy::takeLoss(const std::string& requestHead) {
  std::lock_guard lock(mutex_);
  const auto lineEnd = requestHead.find("\r\n");
  const std::string line = requestHead.substr(0, lineEnd);
  if (lose_->count == 0 || !line.starts_with(lose_->method + " ")) return false;
  if (line.find(lose_->targetContains) == std::string::npos) return false;
  --lose_->count;
  return true;
}

// One request at a time: the whole request goes up, the whole answer comes back, unless the
// request is one whose answer is to be lost: then the answer is read (the registry has acted)
// and the client's connection is reset.
void DropProxy::serveLosingAnswers(Conn& conn) {
  std::string up, down;
  // A client trying TLS first (a ClientHello, not a request line) gets the registry's plain
  // answer to that, as through any TCP proxy, and falls back to HTTP.
  char first = 0;
  if (::recv(conn.client, &first, 1, MSG_PEEK) == 1 && !(first >= 'A' && first <= 'Z')) {
    std::thread back([&conn] { pump(conn.upstream, conn.client, 0); });
    pump(conn.client, conn.upstream, 0);
    ::shutdown(conn.upstream, SHUT_RDWR);
    ::shutdown(conn.client, SHUT_RDWR);
    back.join();
    return;
  }
  while (!stop_) {
    std::string requestHead;
    if (!relayMessage(conn.client, conn.upstream, up, Message::kRequest, true, &requestHead)) return;
    const auto answerKind = requestHead.starts_with("HEAD ") ? Message::kAnswerToHead : Message::kAnswer;
    const bool lose = takeLoss(requestHead);
    if (!relayMessage(conn.upstream, conn.client, down, answerKind, !lose, nullptr)) return;
    if (lose) {
      ++drops_;
      const linger reset{1, 0};  // close with RST, as a dropped link looks to the client
      ::setsockopt(conn.client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      return;
    }
  }
}

void DropProxy::closeConn(Conn& conn) {
  std::lock_guard lock(mutex_);
  if (conn.closed) return;
  ::close(conn.client);
  ::close(conn.upstream);
  conn.closed = true;
}

}  // namespace autonomy::testing::syncit
