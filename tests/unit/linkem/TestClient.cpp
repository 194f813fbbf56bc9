#include "tests/unit/linkem/TestClient.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

#include <algorithm>
#include <random>

namespace autonomy::linkem::testing {

TestClient::TestClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error_ = errno;
    ::close(fd_);
    fd_ = -1;
  }
}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestClient::sendAll(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void TestClient::shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

std::string TestClient::read(std::size_t want, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  timedOut_ = false;
  char buffer[64 * 1024];
  while (out.size() < want) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut_ = true;
      break;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) continue;
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, want - out.size()), 0);
    if (n == 0) {
      eof_ = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

bool TestClient::sawReset() const { return error_ == ECONNRESET || error_ == EPIPE; }

std::string patternBytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

}  // namespace autonomy::linkem::testing
