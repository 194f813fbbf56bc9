#include "config/Duration.hpp"

#include <array>
#include <cstdint>

namespace autonomy::config {

namespace {

struct Unit {
  char symbol;
  std::int64_t seconds;
};

// Largest first: parts must appear in this order.
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

// A century is far beyond any sensible interval and keeps the arithmetic well inside int64.
constexpr std::int64_t kMaxSeconds = std::int64_t{100} * 366 * 86400;

constexpr std::string_view kHint = "(use e.g. 30s, 5m, 2h)";

Error durationError(std::string_view text, std::string_view detail = {}) {
  std::string message = "\"" + std::string(text) + "\" is not a duration";
  if (!detail.empty()) message += ": " + std::string(detail);
  message += " " + std::string(kHint);
  return makeError(ErrorCode::kConfig, std::move(message));
}

}  // namespace

Result<std::chrono::seconds> parseDuration(std::string_view text) {
  if (text.empty()) return durationError(text, "empty");
  std::int64_t total = 0;
  std::size_t nextUnit = 0;  // index into kUnits: later parts must use smaller units
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t value = 0;
    const std::size_t digitsStart = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > kMaxSeconds) return durationError(text, "too long");
      ++i;
    }
    if (i == digitsStart) return durationError(text);
    if (i == text.size()) return durationError(text, "missing unit after " + std::string(text.substr(digitsStart)));
    const char symbol = text[i++];
    std::size_t u = 0;
    while (u < kUnits.size() && kUnits[u].symbol != symbol) ++u;
    if (u == kUnits.size()) return durationError(text);
    if (u < nextUnit) return durationError(text, "units go from largest to smallest, each once");
    nextUnit = u + 1;
    total += value * kUnits[u].seconds;
    if (total > kMaxSeconds) return durationError(text, "too long");
  }
  return std::chrono::seconds{total};
}

std::string formatDuration(std::chrono::seconds duration) {
  const std::int64_t count = duration.count();
  if (count == 0) return "0s";
  std::string out = count < 0 ? "-" : "";
  // Unsigned magnitude, so even the most negative count negates without overflow.
  std::uint64_t left = count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  for (const Unit& unit : kUnits) {
    const auto size = static_cast<std::uint64_t>(unit.seconds);
    if (left >= size) {
      out += std::to_string(left / size);
      out += unit.symbol;
      left %= size;
    }
  }
  return out;
}

}  // namespace autonomy::config
