#include "tools/linkem/LinkProxyThread.hpp"

#include <utility>

namespace autonomy::linkem {

LinkProxyThread::LinkProxyThread(LinkOptions options) : io_(1), proxy_(io_, std::move(options)) {}

LinkProxyThread::~LinkProxyThread() { stop(); }

Result<std::uint16_t> LinkProxyThread::start() {
  if (thread_.joinable()) return makeError(ErrorCode::kInternal, "linkem: LinkProxyThread started twice");
  auto port = proxy_.start();
  if (!port) return port.error();
  thread_ = std::thread([this] { io_.run(); });
  return port;
}

void LinkProxyThread::stop() {
  if (!thread_.joinable()) return;
  proxy_.stop();
  // With the listener closed and every connection reset, run() returns once the aborted
  // operations have drained.
  thread_.join();
}

}  // namespace autonomy::linkem
