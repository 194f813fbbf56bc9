#pragma once
// One proxied TCP connection: a delay line per direction (reader stamps each chunk with its
// due time, writer releases it then), an optional token bucket, and the drop/stall faults.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/core/TokenBucket.hpp"
#include "tools/linkem/Asio.hpp"
#include "tools/linkem/LinkOptions.hpp"
#include "tools/linkem/LinkStats.hpp"

namespace autonomy::linkem {

class LinkConnection;

// State the proxy and all its connections share; touched only on the proxy's strand, except
// the counters, which any thread may read.
struct LinkShared {
  explicit LinkShared(LinkOptions opts) : options(std::move(opts)) {}

  LinkOptions options;
  LinkCounters counters;
  std::optional<TokenBucket> upBucket;  // set when the rate scope is shared
  std::optional<TokenBucket> downBucket;
  std::map<std::uint64_t, std::weak_ptr<LinkConnection>> connections;  // live ones, for stop()
};

class LinkConnection : public std::enable_shared_from_this<LinkConnection> {
 public:
  using Clock = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;

  // `ordinal` is 1 for the first accepted connection; the K-first-connections options use it.
  LinkConnection(Strand strand, tcp::socket client, std::shared_ptr<LinkShared> shared, std::uint64_t ordinal);
  LinkConnection(const LinkConnection&) = delete;
  LinkConnection& operator=(const LinkConnection&) = delete;

  // Connects to the upstream endpoint, then runs both directions until either side closes.
  static boost::asio::awaitable<void> run(std::shared_ptr<LinkConnection> self, tcp::endpoint upstream);

  // Ends the connection; `reset` closes both sockets with SO_LINGER 0 so the peers see RST.
  void close(bool reset);

 private:
  enum class Direction { kUp, kDown };

  struct Chunk {
    Clock::time_point due;
    std::vector<char> bytes;
    std::size_t offset = 0;
    bool eof = false;
  };

  struct Pipe {
    Pipe(const Strand& strand, tcp::socket& fromSocket, tcp::socket& toSocket, DirectionOptions opts);

    tcp::socket& from;
    tcp::socket& to;
    DirectionOptions options;
    std::deque<Chunk> queue;
    std::size_t queuedBytes = 0;
    boost::asio::steady_timer dataReady;   // writer sleeps here while the queue is empty
    boost::asio::steady_timer spaceReady;  // reader sleeps here while the queue is full
    boost::asio::steady_timer wait;        // writer: due time, rate, stall
    TokenBucket* bucket = nullptr;         // nullptr = no rate cap
    std::uint64_t prepaid = 0;             // bytes already reserved from the bucket
    std::size_t sliceBytes = 0;            // largest single write
    std::atomic<std::uint64_t>* forwarded = nullptr;
    bool countsForFaults = false;
    bool finished = false;
    std::vector<char> readBuffer;
  };

  static boost::asio::awaitable<void> readLoop(std::shared_ptr<LinkConnection> self, Direction direction);
  static boost::asio::awaitable<void> writeLoop(std::shared_ptr<LinkConnection> self, Direction direction);

  Pipe& pipe(Direction direction) { return direction == Direction::kUp ? up_ : down_; }
  // Bytes this connection may still forward before a fault fires; nullopt = no fault pending.
  std::optional<std::uint64_t> bytesUntilFault() const;
  // Called when bytesUntilFault() reached 0: resets the connection or starts the stall.
  void fireFault(Clock::time_point now);
  bool stalled(Clock::time_point now) const { return stallUntil_ && now < *stallUntil_; }
  void finishDirection(Pipe& pipe);

  Strand strand_;
  tcp::socket client_;
  tcp::socket upstream_;
  std::shared_ptr<LinkShared> shared_;
  std::uint64_t id_;
  std::optional<TokenBucket> ownUpBucket_;  // set when the rate scope is per connection
  std::optional<TokenBucket> ownDownBucket_;
  Pipe up_;
  Pipe down_;
  bool dropApplies_ = false;
  bool stallApplies_ = false;
  std::uint64_t faultBytes_ = 0;  // counted bytes handed to the kernel so far
  std::optional<Clock::time_point> stallUntil_;
  bool closed_ = false;
};

}  // namespace autonomy::linkem
