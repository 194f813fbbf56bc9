#include "engine/core/ByteRate.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace autonomy {
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

std::string formatRate(std::uint64_t bytesPerSecond) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = kKiB * 1024;
  char buf[64];
  if (bytesPerSecond >= kMiB && (bytesPerSecond * 10) % kMiB == 0)  // 10 MiB/s, 1.5 MiB/s
    std::snprintf(buf, sizeof buf, "%g MiB/s", static_cast<double>(bytesPerSecond) / static_cast<double>(kMiB));
  else if (bytesPerSecond >= kKiB && bytesPerSecond % kKiB == 0)
    std::snprintf(buf, sizeof buf, "%llu KiB/s", static_cast<unsigned long long>(bytesPerSecond / kKiB));
  else
    std::snprintf(buf, sizeof buf, "%llu B/s", static_cast<unsigned long long>(bytesPerSecond));
  return buf;
}

}  // namespace autonomy
