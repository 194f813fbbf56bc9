#include "tools/linkem/LinkOptions.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace autonomy::linkem {
Result<HostPort> parseHostPort(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return makeError(ErrorCode::kUsage, "address \"" + std::string(text) + "\": " + std::string(why) +
                                            " (expected HOST:PORT, e.g. 127.0.0.1:0)");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("missing host or port");
  std::string_view host = text.substr(0, colon);
  const std::string_view portText = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("unbalanced brackets");
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (portText.empty() || ec != std::errc() || ptr != portText.data() + portText.size() ||
      port > std::numeric_limits<std::uint16_t>::max()) {
    return bad("bad port");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

Status validate(const LinkOptions& options) {
  if (options.upstreamPort == 0) {
    return makeError(ErrorCode::kUsage, "link options: upstream port is 0 (pass --upstream HOST:PORT)");
  }
  if (options.readChunkBytes == 0 || options.queueLimitBytes == 0) {
    return makeError(ErrorCode::kUsage, "link options: read chunk and queue limit must be positive");
  }
  for (const DirectionOptions* d : {&options.up, &options.down}) {
    if (d->latency.count() < 0) return makeError(ErrorCode::kUsage, "link options: latency must not be negative");
  }
  if (options.stallFor && options.stallFor->count() < 0) {
    return makeError(ErrorCode::kUsage, "link options: stall duration must not be negative");
  }
  return {};
}

}  // namespace autonomy::linkem
