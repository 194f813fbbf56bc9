#include "engine/core/TransferWindows.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace autonomy {

namespace {

constexpr int kDay = 24 * 60;
constexpr int kWeek = 7 * kDay;
constexpr std::array<std::string_view, 7> kDayNames{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<int> dayIndex(std::string_view name) {
  name = trim(name);
  if (name.size() != 3) return std::nullopt;
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = std::find(kDayNames.begin(), kDayNames.end(), lower);
  if (it == kDayNames.end()) return std::nullopt;
  return static_cast<int>(it - kDayNames.begin());
}

// "Mon", "Mon-Fri", "Sat,Sun", "Fri-Mon" (wraps past Sunday) as a mask, bit 0 Monday.
Result<std::uint8_t> parseDays(std::string_view text) {
  std::uint8_t mask = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto dash = part.find('-');
    const auto first = dayIndex(part.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : dayIndex(part.substr(dash + 1));
    if (!first || !last)
      return makeError(
          ErrorCode::kUsage,
          "\"" + std::string(part) + "\" is not a day or a range of days (use Mon..Sun, e.g. Mon-Fri or Sat,Sun)");
    for (int d = *first;; d = (d + 1) % 7) {
      mask = static_cast<std::uint8_t>(mask | (1u << d));
      if (d == *last) break;
    }
  }
  if (mask == 0) return makeError(ErrorCode::kUsage, "names no day");
  return mask;
}

// "HH:MM" as minutes; 24:00 only where `endOfDay` allows it.
Result<int> parseTime(std::string_view text, bool endOfDay) {
  text = trim(text);
  const auto bad = [&] {
    return makeError(ErrorCode::kUsage, "\"" + std::string(text) + "\" is not a time of day (HH:MM, 00:00 to " +
                                            (endOfDay ? "24:00" : "23:59") + ")");
  };
  if (text.size() != 5 || text[2] != ':') return bad();
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad();
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !endOfDay))) return bad();
  return h * 60 + m;
}

int minuteOfWeek(TransferWindows::Clock::time_point t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::weekday wd{days};
  const int minute = static_cast<int>(std::chrono::floor<std::chrono::minutes>(t - days).count());
  return static_cast<int>((wd.c_encoding() + 6) % 7) * kDay + minute;  // Monday first
}

}  // namespace

Result<TransferWindows::Window> TransferWindows::parseOne(std::string_view spec) {
  spec = trim(spec);
  Window w;
  const auto space = spec.rfind(' ');
  if (space != std::string_view::npos) {
    if (spec.substr(0, space).find(':') != std::string_view::npos)
      return makeError(ErrorCode::kUsage, "has a space inside its times: write HH:MM-HH:MM without spaces");
    auto days = parseDays(spec.substr(0, space));
    if (!days) return days.error();
    w.days = *days;
    spec = trim(spec.substr(space + 1));
  }
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos)
    return makeError(ErrorCode::kUsage,
                     "not a window: use [DAYS ]HH:MM-HH:MM, e.g. 01:00-05:00 or "
                     "\"Sat,Sun 00:00-24:00\" (in quotes: YAML splits at the comma)");
  auto start = parseTime(spec.substr(0, dash), false);
  if (!start) return start.error();
  auto end = parseTime(spec.substr(dash + 1), true);
  if (!end) return end.error();
  if (*start == *end)
    return makeError(ErrorCode::kUsage, "starts and ends at the same time; for a whole day write 00:00-24:00");
  w.startMinute = *start;
  w.lengthMinutes = *end > *start ? *end - *start : *end + kDay - *start;  // past midnight
  return w;
}

Status TransferWindows::check(std::string_view spec) {
  auto w = parseOne(spec);
  if (!w) return w.error();
  return {};
}

Result<TransferWindows> TransferWindows::parse(const std::vector<std::string>& specs) {
  TransferWindows out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto w = parseOne(specs[i]);
    if (!w)
      return makeError(ErrorCode::kUsage, "[" + std::to_string(i) + "] \"" + specs[i] + "\": " + w.error().message);
    out.windows_.push_back(*w);
    out.specs_.push_back(std::string(trim(specs[i])));
  }
  return out;
}

int TransferWindows::minutesUntilOpen(int m) const {
  int best = kWeek;
  for (const Window& w : windows_)
    for (int d = 0; d < 7; ++d) {
      if (!(w.days & (1u << d))) continue;
      const int begin = d * kDay + w.startMinute;
      const int since = ((m - begin) % kWeek + kWeek) % kWeek;
      if (since < w.lengthMinutes) return 0;
      best = std::min(best, kWeek - since);
    }
  return best;
}

bool TransferWindows::isOpen(Clock::time_point t) const {
  return windows_.empty() || minutesUntilOpen(minuteOfWeek(t)) == 0;
}

TransferWindows::Clock::time_point TransferWindows::nextOpen(Clock::time_point t) const {
  if (windows_.empty()) return t;
  const int wait = minutesUntilOpen(minuteOfWeek(t));
  if (wait == 0) return t;
  return std::chrono::floor<std::chrono::minutes>(t) + std::chrono::minutes(wait);
}

}  // namespace autonomy
