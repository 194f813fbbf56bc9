#pragma once
// A bandwidth cap on one registry host (`--limit-rate`, the config's `max_bandwidth`): every
// connection to that host, in every job, paces its blob bodies through the same bucket, both
// directions together, and holds them outside the host's transfer windows (`windows:`). Rate
// and windows can change while transfers run (SIGHUP); they pick it up at their next piece.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/async/Task.hpp"
#include "engine/async/WindowGate.hpp"
#include "engine/core/TokenBucket.hpp"

namespace autonomy::registry {

class RateLimiter {
 public:
  // 0: no cap (yet): the daemon gives every host one, so a cap added by SIGHUP reaches
  // connections already open.
  explicit RateLimiter(std::uint64_t bytesPerSecond = 0, std::string label = "registry");

  void setRate(std::uint64_t bytesPerSecond);
  std::uint64_t rate() const;  // 0: none
  // The most one pace() should cover: the bucket's depth (20 ms of traffic, at least 16 KiB),
  // so that connections sharing the cap take turns finely; without a cap, no limit.
  std::size_t piece() const;
  // Accounts for `bytes` moved (or about to be) and waits as long as the rate asks.
  async::Task<void> pace(std::uint64_t bytes);
  std::uint64_t bytesPaced() const;  // for metrics and tests
  // Bytes per second paced over the last few whole seconds (metrics: what the link carries).
  std::uint64_t currentRate() const;
  // The host's transfer windows: connections hold blob bodies at this gate (Connection).
  async::WindowGate& windows() { return windows_; }
  const async::WindowGate& windows() const { return windows_; }

 private:
  mutable std::mutex mutex_;
  std::optional<TokenBucket> bucket_;  // empty: no cap
  std::uint64_t paced_ = 0;
  struct Second {
    std::int64_t at;  // steady seconds
    std::uint64_t bytes;
  };
  std::deque<Second> recent_;  // the last kRateSeconds + 1 seconds with traffic
  async::WindowGate windows_;
};

using RateLimiterPtr = std::shared_ptr<RateLimiter>;

}  // namespace autonomy::registry
