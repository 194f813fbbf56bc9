#pragma once
// Times of day when a metered link may carry blob bytes (`windows:` on a schedule or a
// registry), always in UTC so every node of a fleet reads a window the same way:
//   "01:00-05:00"            every day
//   "Sat,Sun 00:00-24:00"    all weekend
//   "Mon-Fri 22:00-06:00"    weeknights: an end before the start is the next morning
// The days name the day a window starts on. Outside every window transfers pause; no windows
// at all means always open.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy {

class TransferWindows {
 public:
  using Clock = std::chrono::system_clock;

  TransferWindows() = default;  // always open
  // Each spec checked; an error names the bad one: `[1] "25:00-06:00": ...` (kUsage).
  static Result<TransferWindows> parse(const std::vector<std::string>& specs);
  // One spec alone: what is wrong with it, without the index.
  static Status check(std::string_view spec);

  bool alwaysOpen() const { return windows_.empty(); }
  bool isOpen(Clock::time_point t) const;
  // t itself when open, else the start of the next window (whole minutes, UTC).
  Clock::time_point nextOpen(Clock::time_point t) const;
  const std::vector<std::string>& specs() const { return specs_; }
  bool operator==(const TransferWindows& other) const { return specs_ == other.specs_; }

 private:
  struct Window {
    std::uint8_t days = 0x7f;  // bit 0: Monday ... bit 6: Sunday
    int startMinute = 0;       // of the day it starts on
    int lengthMinutes = 0;     // 1 .. 1440
  };
  static Result<Window> parseOne(std::string_view spec);
  // Minutes from minute-of-week `m` until a window next starts; 0 when one is open at m.
  int minutesUntilOpen(int m) const;

  std::vector<Window> windows_;
  std::vector<std::string> specs_;
};

}  // namespace autonomy
