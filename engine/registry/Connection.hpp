#pragma once
// One keep-alive HTTP/1.1 connection to an origin, plain or TLS. The only place that uses
// Beast on the client side; callers see HttpRequest/HttpResponse values.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "engine/async/Task.hpp"
#include "engine/core/CancelToken.hpp"
#include "engine/core/Error.hpp"
#include "engine/registry/HttpMessage.hpp"
#include "engine/registry/RateLimiter.hpp"
#include "engine/registry/Url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace autonomy::registry {

using async::Task;

struct Origin {
  Url url;                                         // scheme, host, port (target unused)
  std::shared_ptr<boost::asio::ssl::context> tls;  // set for https
  std::chrono::seconds stallTimeout{60};           // no progress for this long fails the operation
  RateLimiterPtr rate;                             // the host's bandwidth cap; null: none
};

class Connection {
 public:
  ~Connection();
  // `cancel` closes the socket mid-connect or mid-handshake.
  static Task<Result<std::unique_ptr<Connection>>> open(boost::asio::any_io_executor executor, Origin origin,
                                                        CancelTokenPtr cancel = nullptr);

  // Whole request, whole (size-limited) response.
  Task<Result<HttpResponse>> exchange(HttpRequest request, std::size_t bodyLimit);

  // Streaming download: send the request, read only the response head.
  Task<Result<HttpResponse>> sendAndReadHead(HttpRequest request);
  // Next body bytes into buf; 0 at the end of the body. Paced by the host's cap.
  Task<Result<std::size_t>> readBody(char* buf, std::size_t size);
  // The same for a blob's body, which also waits while the host's windows are closed (small
  // bodies, such as manifests and tag lists, never do).
  Task<Result<std::size_t>> readBlobBody(char* buf, std::size_t size);

  // Streaming upload (a blob's): head with Content-Length = request.streamLength, then body
  // chunks, paced by the host's cap and held while its windows are closed.
  Task<Status> writeHead(HttpRequest request);
  Task<Status> writeBody(const char* data, std::size_t size);
  Task<Result<HttpResponse>> readResponse(std::size_t bodyLimit);

  // Safe to hand to the next request: last response fully read and keep-alive.
  bool reusable() const;
  bool reused() const { return uses_ > 0; }  // has carried a request before (ask before sending)
  std::uint64_t bodyBytesWritten() const { return bodyBytesWritten_; }  // streamed upload bodies
  void close();
  const Origin& origin() const { return origin_; }

 public:
  struct Impl;  // Beast state, visible to Connection.cpp's helpers only

 private:
  explicit Connection(Origin origin);
  Task<Result<HttpResponse>> readHeadOnly();
  // Waits while the host's transfer windows are closed (blob bodies only).
  Task<void> holdForWindows();
  Origin origin_;
  std::unique_ptr<Impl> impl_;
  int uses_ = 0;
  std::uint64_t bodyBytesWritten_ = 0;
};

}  // namespace autonomy::registry
