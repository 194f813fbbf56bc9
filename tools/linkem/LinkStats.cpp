#include "tools/linkem/LinkStats.hpp"

#include <nlohmann/json.hpp>

namespace autonomy::linkem {

std::string toJson(const LinkStats& stats) {
  const nlohmann::json j = {
      {"bytes_up", stats.bytesUp},
      {"bytes_down", stats.bytesDown},
      {"connections_accepted", stats.connectionsAccepted},
      {"connections_active", stats.connectionsActive},
      {"connections_dropped", stats.connectionsDropped},
      {"connections_stalled", stats.connectionsStalled},
      {"upstream_connect_failures", stats.upstreamConnectFailures},
  };
  return j.dump();
}

LinkStats LinkCounters::snapshot() const {
  LinkStats s;
  s.bytesUp = bytesUp.load(std::memory_order_relaxed);
  s.bytesDown = bytesDown.load(std::memory_order_relaxed);
  s.connectionsAccepted = connectionsAccepted.load(std::memory_order_relaxed);
  s.connectionsActive = connectionsActive.load(std::memory_order_relaxed);
  s.connectionsDropped = connectionsDropped.load(std::memory_order_relaxed);
  s.connectionsStalled = connectionsStalled.load(std::memory_order_relaxed);
  s.upstreamConnectFailures = upstreamConnectFailures.load(std::memory_order_relaxed);
  return s;
}

}  // namespace autonomy::linkem
