#pragma once
// A LinkProxy with its own io_context and thread, for tests that drive a blocking client or a
// separate process through the emulated link.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <thread>

#include "engine/core/Error.hpp"
#include "tools/linkem/LinkOptions.hpp"
#include "tools/linkem/LinkProxy.hpp"
#include "tools/linkem/LinkStats.hpp"

namespace autonomy::linkem {

class LinkProxyThread {
 public:
  explicit LinkProxyThread(LinkOptions options);
  ~LinkProxyThread();  // stops and joins
  LinkProxyThread(const LinkProxyThread&) = delete;
  LinkProxyThread& operator=(const LinkProxyThread&) = delete;

  // Binds, then serves on the thread. Returns the bound port. Once per object.
  Result<std::uint16_t> start();
  // Resets live connections, closes the listener and joins the thread. Idempotent.
  void stop();

  std::uint16_t port() const { return proxy_.port(); }
  LinkStats stats() const { return proxy_.stats(); }

 private:
  boost::asio::io_context io_;
  LinkProxy proxy_;
  std::thread thread_;
};

}  // namespace autonomy::linkem
