#pragma once
// A TCP proxy on 127.0.0.1 that forwards to one upstream and emulates an edge link on the way:
// latency, a bandwidth cap, connections reset or stalled after N bytes. Tests put it between a
// client and a registry to see how the client copes.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>

#include "engine/core/Error.hpp"
#include "tools/linkem/Asio.hpp"
#include "tools/linkem/LinkOptions.hpp"
#include "tools/linkem/LinkStats.hpp"

namespace autonomy::linkem {

struct LinkShared;

class LinkProxy {
 public:
  LinkProxy(boost::asio::io_context& io, LinkOptions options);
  // Destroy only after stop() has run and the io_context has finished (or was stopped).
  ~LinkProxy();
  LinkProxy(const LinkProxy&) = delete;
  LinkProxy& operator=(const LinkProxy&) = delete;

  // Resolves the upstream, binds and listens (port 0 = ephemeral), then accepts on the
  // io_context. Returns the bound port. Call once, before or while the io_context runs.
  Result<std::uint16_t> start();

  // Closes the listener and resets every live connection. Safe from any thread: the work is
  // queued on the proxy's strand, so the io_context must still be running (or run later).
  void stop();

  // Safe from any thread.
  LinkStats stats() const;
  std::uint16_t port() const { return port_; }

 private:
  static boost::asio::awaitable<void> acceptLoop(std::shared_ptr<LinkShared> shared,
                                                 std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                                                 Strand strand, boost::asio::ip::tcp::endpoint upstream);

  Strand strand_;
  std::shared_ptr<LinkShared> shared_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
};

}  // namespace autonomy::linkem
