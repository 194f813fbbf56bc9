#pragma once
// Keep-alive connections per origin, at most `limit` in use per origin at once.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/async/AsyncGate.hpp"
#include "engine/core/CancelToken.hpp"
#include "engine/registry/Connection.hpp"

namespace autonomy::registry {

class ConnectionPool;

// A connection on loan; goes back to the pool when dropped if it can carry another request.
class Lease {
 public:
  Lease() = default;
  Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn, async::GatePass pass, CancelTokenPtr cancel);
  Lease(Lease&&) noexcept;
  Lease& operator=(Lease&&) noexcept;
  ~Lease();
  Connection* operator->() const { return conn_.get(); }
  Connection& operator*() const { return *conn_; }
  // Closes and forgets the connection (after an error mid-exchange).
  void discard();

 private:
  void giveBack();
  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<Connection> conn_;
  async::GatePass pass_;
  CancelTokenPtr cancel_;
  CancelToken::Id cancelId_ = 0;
};

struct PoolStats {
  std::uint64_t opened = 0;
  std::uint64_t reused = 0;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void setLimit(const std::string& originKey, std::size_t limit) { limits_[originKey] = limit; }
  void setDefaultLimit(std::size_t limit) { defaultLimit_ = limit; }

  // The bandwidth cap of a registry host (canonical host[:port]), made on first use without a
  // cap; every client of the host, in every job, paces through it. The front ends set its rate
  // (--limit-rate, max_bandwidth), also while transfers run.
  RateLimiterPtr rateFor(const std::string& host);
  // Every host's cap (for SIGHUP, which sets them all again, and metrics).
  const std::map<std::string, RateLimiterPtr>& rates() const { return rates_; }

  Task<Result<Lease>> acquire(Origin origin, CancelTokenPtr cancel);
  const PoolStats& stats() const { return stats_; }
  boost::asio::any_io_executor executor() const { return executor_; }

 private:
  friend class Lease;
  struct PerOrigin {
    std::unique_ptr<async::AsyncGate> gate;
    std::vector<std::unique_ptr<Connection>> idle;
  };
  PerOrigin& origin(const std::string& key);
  void putBack(std::unique_ptr<Connection> conn);

  boost::asio::any_io_executor executor_;
  std::size_t defaultLimit_ = 8;
  std::map<std::string, std::size_t> limits_;
  std::map<std::string, PerOrigin> origins_;
  std::map<std::string, RateLimiterPtr> rates_;
  PoolStats stats_;
};

}  // namespace autonomy::registry
