#pragma once
// A spdlog pattern flag for the message with control characters escaped (Printable.hpp): every
// log line of the CLI and the daemon goes through it, whatever a registry put in the text.
#include <spdlog/pattern_formatter.h>

#include <memory>

#include "engine/core/Printable.hpp"

namespace autonomy {

class EscapedLogMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const auto text = printable(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedLogMessage>(); }
};

// A formatter for `pattern`, in which %V stands for the escaped message (use it instead of %v).
inline std::unique_ptr<spdlog::formatter> escapedFormatter(const std::string& pattern) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<EscapedLogMessage>('V').set_pattern(pattern);
  return f;
}

}  // namespace autonomy
