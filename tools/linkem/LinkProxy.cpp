#include "tools/linkem/LinkProxy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <vector>

#include "tools/linkem/LinkConnection.hpp"

namespace autonomy::linkem {

using tcp = boost::asio::ip::tcp;

namespace {

Result<tcp::endpoint> resolveOne(Strand& strand, const std::string& host, std::uint16_t port, std::string_view what) {
  boost::system::error_code ec;
  tcp::resolver resolver(strand);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return makeError(ErrorCode::kUsage, std::string(what) + " " + host + ":" + std::to_string(port) +
                                            ": cannot resolve (" + ec.message() + "); use a literal such as 127.0.0.1");
  }
  return results.begin()->endpoint();
}

}  // namespace

LinkProxy::LinkProxy(boost::asio::io_context& io, LinkOptions options)
    : strand_(boost::asio::make_strand(io)), shared_(std::make_shared<LinkShared>(std::move(options))) {}

LinkProxy::~LinkProxy() = default;

Result<std::uint16_t> LinkProxy::start() {
  const LinkOptions& o = shared_->options;
  if (Status valid = validate(o); !valid) return valid.error();
  if (acceptor_) return makeError(ErrorCode::kInternal, "linkem: start() called twice");
  auto upstream = resolveOne(strand_, o.upstreamHost, o.upstreamPort, "upstream");
  if (!upstream) return upstream.error();
  auto listen = resolveOne(strand_, o.listenHost, o.listenPort, "listen address");
  if (!listen) return listen.error();

  if (o.rateScope == RateScope::kShared) {
    const auto now = TokenBucket::Clock::now();
    for (auto [direction, bucket] : {std::pair{&o.up, &shared_->upBucket}, std::pair{&o.down, &shared_->downBucket}}) {
      if (direction->rateBytesPerSecond == 0) continue;
      const std::uint64_t depth =
          o.burstBytes != 0 ? o.burstBytes : TokenBucket::defaultBurst(direction->rateBytesPerSecond);
      bucket->emplace(direction->rateBytesPerSecond, depth, now);
    }
  }

  auto acceptor = std::make_shared<tcp::acceptor>(strand_);
  boost::system::error_code ec;
  acceptor->open(listen->protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(*listen, ec);
  if (!ec) acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return makeError(ErrorCode::kNetwork, "linkem: listen on " + o.listenHost + ":" + std::to_string(o.listenPort) +
                                              ": " + ec.message() + " (pick a free port or pass port 0)");
  }
  port_ = acceptor->local_endpoint().port();
  acceptor_ = acceptor;
  boost::asio::co_spawn(strand_, acceptLoop(shared_, acceptor, strand_, *upstream), boost::asio::detached);
  return port_;
}

boost::asio::awaitable<void> LinkProxy::acceptLoop(std::shared_ptr<LinkShared> shared,
                                                   std::shared_ptr<tcp::acceptor> acceptor, Strand strand,
                                                   tcp::endpoint upstream) {
  std::uint64_t ordinal = 0;
  for (;;) {
    tcp::socket client(strand);
    auto [ec] = co_await acceptor->async_accept(client, kUseTuple);
    if (!acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors or a peer that gave up: back off briefly and keep serving.
      boost::asio::steady_timer pause(strand, std::chrono::milliseconds(20));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    ++ordinal;
    shared->counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
    auto connection = std::make_shared<LinkConnection>(strand, std::move(client), shared, ordinal);
    shared->connections.emplace(ordinal, connection);
    boost::asio::co_spawn(strand, LinkConnection::run(connection, upstream), boost::asio::detached);
  }
}

void LinkProxy::stop() {
  // The strand and the shared state outlive this call even if the proxy is destroyed right
  // after, because the queued function holds its own references.
  boost::asio::dispatch(strand_, [shared = shared_, acceptor = acceptor_] {
    boost::system::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    std::vector<std::shared_ptr<LinkConnection>> live;
    for (auto& [id, weak] : shared->connections) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    for (auto& connection : live) connection->close(true);
    shared->connections.clear();
  });
}

LinkStats LinkProxy::stats() const { return shared_->counters.snapshot(); }

}  // namespace autonomy::linkem
