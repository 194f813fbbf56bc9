#pragma once
// What link a LinkProxy emulates, plus the parsers the CLI and tests share.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/ByteRate.hpp"
#include "engine/core/Error.hpp"

namespace autonomy::linkem {

// One direction of the link: "up" is client -> upstream, "down" is upstream -> client.
struct DirectionOptions {
  std::chrono::milliseconds latency{0};  // one-way delay added to every byte
  std::uint64_t rateBytesPerSecond = 0;  // 0 = unlimited
};

enum class RateScope {
  kShared,         // one bucket per direction for the whole proxy (the link is shared)
  kPerConnection,  // every connection gets its own buckets
};

// Which forwarded bytes count towards the drop and stall thresholds of a connection.
enum class FaultCounting { kBoth, kUp, kDown };

struct LinkOptions {
  std::string listenHost = "127.0.0.1";
  std::uint16_t listenPort = 0;  // 0 = ephemeral; start() returns the bound port
  std::string upstreamHost = "127.0.0.1";
  std::uint16_t upstreamPort = 0;

  DirectionOptions up;
  DirectionOptions down;
  RateScope rateScope = RateScope::kShared;
  std::uint64_t burstBytes = 0;  // token bucket depth; 0 = 20 ms worth of rate, at least 16 KiB

  // Reset (RST) both sides once this many bytes of the connection have been forwarded.
  std::optional<std::uint64_t> dropAfterBytes;
  std::uint64_t dropConnections = 0;  // only the first K accepted connections; 0 = every one

  // Stop forwarding (sockets stay open) once this many bytes have been forwarded.
  std::optional<std::uint64_t> stallAfterBytes;
  std::optional<std::chrono::milliseconds> stallFor;  // nullopt = stall forever
  std::uint64_t stallConnections = 0;                 // only the first K; 0 = every one

  FaultCounting faultCounting = FaultCounting::kBoth;

  // Delay-line depth per direction and connection: beyond it the proxy stops reading, so TCP
  // back-pressure reaches the sender. Large enough for rate x latency on the links we emulate.
  std::size_t queueLimitBytes = std::size_t{8} << 20;
  std::size_t readChunkBytes = std::size_t{64} << 10;

  // Both directions at once, the common case on the command line.
  void setLatency(std::chrono::milliseconds latency) {
    up.latency = latency;
    down.latency = latency;
  }
  void setRate(std::uint64_t bytesPerSecond) {
    up.rateBytesPerSecond = bytesPerSecond;
    down.rateBytesPerSecond = bytesPerSecond;
  }
};

using autonomy::parseByteSize;  // engine/core/ByteRate
using autonomy::parseRate;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:8080" or "[::1]:8080"; the port must be present (0 is allowed).
Result<HostPort> parseHostPort(std::string_view text);

// Rejects combinations that cannot work (no upstream port, zero chunk size, ...).
Status validate(const LinkOptions& options);

}  // namespace autonomy::linkem
