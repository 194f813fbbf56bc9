#pragma once
// A blocking POSIX client with timeouts, so a proxy bug fails a test instead of hanging it,
// and so resets show up as the errno a real client would see.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace autonomy::linkem::testing {

class TestClient {
 public:
  explicit TestClient(std::uint16_t port);  // connects to 127.0.0.1:port; ok() says whether it worked
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Sends everything; false (and lastError() set) if the connection failed.
  bool sendAll(std::string_view data);
  void shutdownWrite();
  // Reads until `want` bytes arrived, the peer closed or failed, or `timeout` passed.
  std::string read(std::size_t want, std::chrono::milliseconds timeout);

  bool sawEof() const { return eof_; }
  bool timedOut() const { return timedOut_; }
  int lastError() const { return error_; }  // errno of the last failure, 0 if none
  bool sawReset() const;                    // ECONNRESET or EPIPE on send or receive

 private:
  int fd_ = -1;
  bool eof_ = false;
  bool timedOut_ = false;
  int error_ = 0;
};

// Bytes that differ from position to position, so a reordering or a lost chunk shows.
std::string patternBytes(std::size_t size, std::uint32_t seed);

}  // namespace autonomy::linkem::testing
