#include "tools/linkem/LinkConnection.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

namespace autonomy::linkem {
namespace {

// Rate-capped writes go out in slices this size at most, so a capped link trickles smoothly
// instead of alternating bursts and pauses.
constexpr std::size_t kRateSliceBytes = std::size_t{16} << 10;

std::optional<TokenBucket> makeBucket(const DirectionOptions& direction, std::uint64_t burst) {
  if (direction.rateBytesPerSecond == 0) return std::nullopt;
  const std::uint64_t depth = burst != 0 ? burst : TokenBucket::defaultBurst(direction.rateBytesPerSecond);
  return TokenBucket(direction.rateBytesPerSecond, depth, TokenBucket::Clock::now());
}

bool appliesTo(std::uint64_t firstK, std::uint64_t ordinal) { return firstK == 0 || ordinal <= firstK; }

}  // namespace

LinkConnection::Pipe::Pipe(const Strand& strand, tcp::socket& fromSocket, tcp::socket& toSocket, DirectionOptions opts)
    : from(fromSocket), to(toSocket), options(opts), dataReady(strand), spaceReady(strand), wait(strand) {}

LinkConnection::LinkConnection(Strand strand, tcp::socket client, std::shared_ptr<LinkShared> shared,
                               std::uint64_t ordinal)
    : strand_(std::move(strand)),
      client_(std::move(client)),
      upstream_(strand_),
      shared_(std::move(shared)),
      id_(ordinal),
      up_(strand_, client_, upstream_, shared_->options.up),
      down_(strand_, upstream_, client_, shared_->options.down) {
  const LinkOptions& o = shared_->options;
  if (o.rateScope == RateScope::kPerConnection) {
    ownUpBucket_ = makeBucket(o.up, o.burstBytes);
    ownDownBucket_ = makeBucket(o.down, o.burstBytes);
    up_.bucket = ownUpBucket_ ? &*ownUpBucket_ : nullptr;
    down_.bucket = ownDownBucket_ ? &*ownDownBucket_ : nullptr;
  } else {
    up_.bucket = shared_->upBucket ? &*shared_->upBucket : nullptr;
    down_.bucket = shared_->downBucket ? &*shared_->downBucket : nullptr;
  }
  for (Pipe* p : {&up_, &down_}) {
    p->sliceBytes = p->bucket != nullptr
                        ? static_cast<std::size_t>(std::min<std::uint64_t>(kRateSliceBytes, p->bucket->burst()))
                        : o.readChunkBytes;
    p->readBuffer.resize(o.readChunkBytes);
  }
  up_.forwarded = &shared_->counters.bytesUp;
  down_.forwarded = &shared_->counters.bytesDown;
  up_.countsForFaults = o.faultCounting != FaultCounting::kDown;
  down_.countsForFaults = o.faultCounting != FaultCounting::kUp;
  dropApplies_ = o.dropAfterBytes.has_value() && appliesTo(o.dropConnections, ordinal);
  stallApplies_ = o.stallAfterBytes.has_value() && appliesTo(o.stallConnections, ordinal);
  shared_->counters.connectionsActive.fetch_add(1, std::memory_order_relaxed);
}

boost::asio::awaitable<void> LinkConnection::run(std::shared_ptr<LinkConnection> self, tcp::endpoint upstream) {
  auto [ec] = co_await self->upstream_.async_connect(upstream, kUseTuple);
  if (self->closed_) co_return;
  if (ec) {
    self->shared_->counters.upstreamConnectFailures.fetch_add(1, std::memory_order_relaxed);
    self->close(true);
    co_return;
  }
  // Writes are already paced by the emulator; Nagle would add its own, unmodelled delay.
  boost::system::error_code ignored;
  self->client_.set_option(tcp::no_delay(true), ignored);
  self->upstream_.set_option(tcp::no_delay(true), ignored);
  for (Direction d : {Direction::kUp, Direction::kDown}) {
    boost::asio::co_spawn(self->strand_, readLoop(self, d), boost::asio::detached);
    boost::asio::co_spawn(self->strand_, writeLoop(self, d), boost::asio::detached);
  }
}

boost::asio::awaitable<void> LinkConnection::readLoop(std::shared_ptr<LinkConnection> self, Direction direction) {
  Pipe& p = self->pipe(direction);
  const std::size_t limit = self->shared_->options.queueLimitBytes;
  while (!self->closed_) {
    if (p.queuedBytes >= limit) {
      p.spaceReady.expires_at(Clock::time_point::max());
      co_await p.spaceReady.async_wait(kUseTuple);
      continue;
    }
    auto [ec, n] = co_await p.from.async_read_some(boost::asio::buffer(p.readBuffer), kUseTuple);
    if (self->closed_) co_return;
    const Clock::time_point due = Clock::now() + p.options.latency;
    if (n > 0) {
      const auto begin = p.readBuffer.begin();
      p.queue.push_back(Chunk{due, std::vector<char>(begin, begin + static_cast<std::ptrdiff_t>(n)), 0, false});
      p.queuedBytes += n;
      p.dataReady.cancel();
    }
    if (ec == boost::asio::error::eof) {
      // The FIN travels through the delay line like data, so the far side sees it in order.
      p.queue.push_back(Chunk{due, {}, 0, true});
      p.dataReady.cancel();
      co_return;
    }
    if (ec) {
      self->close(true);
      co_return;
    }
  }
}

boost::asio::awaitable<void> LinkConnection::writeLoop(std::shared_ptr<LinkConnection> self, Direction direction) {
  Pipe& p = self->pipe(direction);
  // Every wait below is followed by `continue`, so all checks are redone after it; between the
  // last check and starting the write nothing else can run on the strand.
  while (!self->closed_) {
    if (p.queue.empty()) {
      p.dataReady.expires_at(Clock::time_point::max());
      co_await p.dataReady.async_wait(kUseTuple);
      continue;
    }
    const Clock::time_point now = Clock::now();
    Chunk& front = p.queue.front();
    if (front.due > now) {
      p.wait.expires_at(front.due);
      co_await p.wait.async_wait(kUseTuple);
      continue;
    }
    if (self->stalled(now)) {
      p.wait.expires_at(*self->stallUntil_);
      co_await p.wait.async_wait(kUseTuple);
      continue;
    }
    if (front.eof) {
      self->finishDirection(p);
      co_return;
    }
    std::size_t n = std::min(front.bytes.size() - front.offset, p.sliceBytes);
    if (p.bucket != nullptr && p.prepaid < n) {
      const auto delay = p.bucket->reserve(n - p.prepaid, now);
      p.prepaid = n;
      if (delay > Clock::duration::zero()) {
        p.wait.expires_at(now + delay);
        co_await p.wait.async_wait(kUseTuple);
        continue;
      }
    }
    if (p.countsForFaults) {
      const std::optional<std::uint64_t> allowed = self->bytesUntilFault();
      if (allowed && *allowed == 0) {
        self->fireFault(now);
        continue;
      }
      if (allowed) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, *allowed));
      // Counted before the write completes, so the other direction sees these bytes at once.
      self->faultBytes_ += n;
    }
    p.prepaid -= std::min<std::uint64_t>(p.prepaid, n);
    auto [ec, written] =
        co_await boost::asio::async_write(p.to, boost::asio::buffer(front.bytes.data() + front.offset, n), kUseTuple);
    if (self->closed_) co_return;
    if (ec) {
      self->close(true);
      co_return;
    }
    p.forwarded->fetch_add(written, std::memory_order_relaxed);
    front.offset += written;
    p.queuedBytes -= written;
    if (front.offset == front.bytes.size()) p.queue.pop_front();
    p.spaceReady.cancel();
  }
}

std::optional<std::uint64_t> LinkConnection::bytesUntilFault() const {
  const LinkOptions& o = shared_->options;
  std::optional<std::uint64_t> allowed;
  if (dropApplies_) allowed = *o.dropAfterBytes - std::min(faultBytes_, *o.dropAfterBytes);
  if (stallApplies_ && !stallUntil_) {
    const std::uint64_t untilStall = *o.stallAfterBytes - std::min(faultBytes_, *o.stallAfterBytes);
    allowed = allowed ? std::min(*allowed, untilStall) : untilStall;
  }
  return allowed;
}

void LinkConnection::fireFault(Clock::time_point now) {
  const LinkOptions& o = shared_->options;
  if (dropApplies_ && faultBytes_ >= *o.dropAfterBytes) {
    shared_->counters.connectionsDropped.fetch_add(1, std::memory_order_relaxed);
    close(true);
    return;
  }
  shared_->counters.connectionsStalled.fetch_add(1, std::memory_order_relaxed);
  stallUntil_ = o.stallFor ? now + *o.stallFor : Clock::time_point::max();
  // The other writer may be asleep waiting for data or its due time; it rechecks on waking.
  for (Pipe* p : {&up_, &down_}) p->wait.cancel();
}

void LinkConnection::finishDirection(Pipe& p) {
  boost::system::error_code ignored;
  p.to.shutdown(tcp::socket::shutdown_send, ignored);
  p.finished = true;
  if (up_.finished && down_.finished) close(false);
}

void LinkConnection::close(bool reset) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  for (tcp::socket* s : {&client_, &upstream_}) {
    if (reset) s->set_option(boost::asio::socket_base::linger(true, 0), ignored);
    s->close(ignored);
  }
  for (Pipe* p : {&up_, &down_}) {
    p->dataReady.cancel();
    p->spaceReady.cancel();
    p->wait.cancel();
  }
  shared_->counters.connectionsActive.fetch_sub(1, std::memory_order_relaxed);
  shared_->connections.erase(id_);
}

}  // namespace autonomy::linkem
