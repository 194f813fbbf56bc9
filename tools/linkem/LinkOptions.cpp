#include "tools/linkem/LinkOptions.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace autonomy::linkem {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<double> unitMultiplier(std::string_view suffix) {
  const std::string s = lower(suffix);
  if (s.empty() || s == "b") return 1.0;
  if (s == "k" || s == "kb") return 1e3;
  if (s == "m" || s == "mb") return 1e6;
  if (s == "g" || s == "gb") return 1e9;
  if (s == "ki" || s == "kib") return 1024.0;
  if (s == "mi" || s == "mib") return 1024.0 * 1024.0;
  if (s == "gi" || s == "gib") return 1024.0 * 1024.0 * 1024.0;
  return makeError(ErrorCode::kUsage, "unknown unit \"" + std::string(suffix) + "\" (use B, k, KiB, MB, MiB, GB, GiB)");
}

}  // namespace

Result<std::uint64_t> parseByteSize(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return makeError(ErrorCode::kUsage, "byte size \"" + std::string(text) + "\": " + std::string(why));
  };
  std::size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.')) ++end;
  if (end == 0) return bad("expected a number such as 4096, 64k or 10MiB");
  const std::string number(text.substr(0, end));
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) return bad("not a number");
  auto multiplier = unitMultiplier(text.substr(end));
  if (!multiplier) return bad(multiplier.error().message);
  const double bytes = std::round(value * *multiplier);
  if (!std::isfinite(bytes) || bytes < 0 || bytes >= 18e18) return bad("out of range");
  return static_cast<std::uint64_t>(bytes);
}

Result<std::uint64_t> parseRate(std::string_view text) {
  std::string_view body = text;
  if (body.size() > 2 && lower(body.substr(body.size() - 2)) == "/s") body.remove_suffix(2);
  return parseByteSize(body);
}

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
