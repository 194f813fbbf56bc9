#include "daemon/Logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "engine/core/EscapedLogMessage.hpp"

namespace autonomy::daemon {

namespace {
// sd-daemon(3) priority prefix: the journal files the line under that syslog priority.
class JournalPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        prefix = "<7>";
        break;
      case spdlog::level::info:
        prefix = "<6>";
        break;
      case spdlog::level::warn:
        prefix = "<4>";
        break;
      case spdlog::level::err:
        prefix = "<3>";
        break;
      case spdlog::level::critical:
        prefix = "<2>";
        break;
      default:
        break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};
}  // namespace

void setupLogging() {
  auto logger = spdlog::stderr_logger_mt("autonomy-syncd");
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JournalPriority>('*').add_flag<EscapedLogMessage>('V').set_pattern("%*%V");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_formatter(escapedFormatter("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %V"));
  }
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
}

void setLogLevel(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace:
      spdlog::set_level(spdlog::level::trace);
      break;
    case config::LogLevel::kDebug:
      spdlog::set_level(spdlog::level::debug);
      break;
    case config::LogLevel::kInfo:
      spdlog::set_level(spdlog::level::info);
      break;
    case config::LogLevel::kWarn:
      spdlog::set_level(spdlog::level::warn);
      break;
    case config::LogLevel::kError:
      spdlog::set_level(spdlog::level::err);
      break;
  }
}

}  // namespace autonomy::daemon
