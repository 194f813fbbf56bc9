#pragma once
// Request counters and the latency histogram, and the whole /metrics page in the Prometheus
// text exposition format (version 0.0.4).
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "api/ApiBackend.hpp"

namespace autonomy::api {

class HttpMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  void observe(const std::string& route, int status, double seconds);
  std::string render(const MetricsSnapshot& snapshot) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t total = 0;
    double sum = 0;
  };
  std::map<std::string, Histogram> latency_;                       // by route
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;  // by route and status
};

}  // namespace autonomy::api
