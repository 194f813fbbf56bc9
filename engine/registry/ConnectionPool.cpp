#include "engine/registry/ConnectionPool.hpp"

namespace autonomy::registry {

Lease::Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn, async::GatePass pass, CancelTokenPtr cancel)
    : pool_(pool), conn_(std::move(conn)), pass_(std::move(pass)), cancel_(std::move(cancel)) {
  if (cancel_) {
    Connection* raw = conn_.get();
    cancelId_ = cancel_->subscribe([raw] { raw->close(); });
  }
}

Lease::Lease(Lease&& o) noexcept
    : pool_(o.pool_),
      conn_(std::move(o.conn_)),
      pass_(std::move(o.pass_)),
      cancel_(std::move(o.cancel_)),
      cancelId_(std::exchange(o.cancelId_, 0)) {}

Lease& Lease::operator=(Lease&& o) noexcept {
  giveBack();
  pool_ = o.pool_;
  conn_ = std::move(o.conn_);
  pass_ = std::move(o.pass_);
  cancel_ = std::move(o.cancel_);
  cancelId_ = std::exchange(o.cancelId_, 0);
  return *this;
}

Lease::~Lease() { giveBack(); }

void Lease::discard() {
  if (conn_) conn_->close();
  giveBack();
}

void Lease::giveBack() {
  if (cancel_ && cancelId_) cancel_->unsubscribe(cancelId_);
  cancelId_ = 0;
  if (conn_ && pool_ && conn_->reusable() && !(cancel_ && cancel_->cancelled())) pool_->putBack(std::move(conn_));
  conn_.reset();
  pass_.reset();
}

ConnectionPool::PerOrigin& ConnectionPool::origin(const std::string& key) {
  auto it = origins_.find(key);
  if (it == origins_.end()) {
    auto lim = limits_.count(key) ? limits_[key] : defaultLimit_;
    PerOrigin po;
    po.gate = std::make_unique<async::AsyncGate>(executor_, std::max<std::size_t>(1, lim));
    it = origins_.emplace(key, std::move(po)).first;
  }
  return it->second;
}

Task<Result<Lease>> ConnectionPool::acquire(Origin o, CancelTokenPtr cancel) {
  const std::string key = o.url.originKey();
  auto& po = origin(key);
  if (!co_await po.gate->acquire(cancel))
    co_return makeError(ErrorCode::kCancelled, "cancelled while waiting for a connection");
  async::GatePass pass(po.gate.get());
  if (cancel && cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, "cancelled");
  if (!po.idle.empty()) {
    auto conn = std::move(po.idle.back());
    po.idle.pop_back();
    ++stats_.reused;
    co_return Lease(this, std::move(conn), std::move(pass), std::move(cancel));
  }
  auto conn = co_await Connection::open(executor_, o, cancel);
  if (!conn) co_return conn.error();
  ++stats_.opened;
  co_return Lease(this, std::move(*conn), std::move(pass), std::move(cancel));
}

void ConnectionPool::putBack(std::unique_ptr<Connection> conn) {
  origin(conn->origin().url.originKey()).idle.push_back(std::move(conn));
}

RateLimiterPtr ConnectionPool::rateFor(const std::string& host) {
  auto& limiter = rates_[host];
  if (!limiter) limiter = std::make_shared<RateLimiter>(0, "registry " + host);
  return limiter;
}

}  // namespace autonomy::registry
