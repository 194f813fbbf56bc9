#pragma once
// Counters a LinkProxy keeps. LinkCounters is written on the proxy's strand and read from any
// thread; LinkStats is a plain snapshot of it.
#include <atomic>
#include <cstdint>
#include <string>

namespace autonomy::linkem {

struct LinkStats {
  std::uint64_t bytesUp = 0;    // forwarded client -> upstream
  std::uint64_t bytesDown = 0;  // forwarded upstream -> client
  std::uint64_t connectionsAccepted = 0;
  std::uint64_t connectionsActive = 0;
  std::uint64_t connectionsDropped = 0;  // reset by the drop-after fault
  std::uint64_t connectionsStalled = 0;  // hit the stall-after threshold
  std::uint64_t upstreamConnectFailures = 0;
};

// One line of JSON with the field names above in snake_case.
std::string toJson(const LinkStats& stats);

struct LinkCounters {
  std::atomic<std::uint64_t> bytesUp{0};
  std::atomic<std::uint64_t> bytesDown{0};
  std::atomic<std::uint64_t> connectionsAccepted{0};
  std::atomic<std::uint64_t> connectionsActive{0};
  std::atomic<std::uint64_t> connectionsDropped{0};
  std::atomic<std::uint64_t> connectionsStalled{0};
  std::atomic<std::uint64_t> upstreamConnectFailures{0};

  LinkStats snapshot() const;
};

}  // namespace autonomy::linkem
