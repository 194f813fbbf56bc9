// Text from elsewhere on one log or terminal line.
#include <gtest/gtest.h>

#include "engine/core/EscapedLogMessage.hpp"
#include "engine/core/Printable.hpp"

using autonomy::printable;

TEST(Printable, ControlCharactersBecomeHexEscapes) {
  EXPECT_EQ(printable("plain text: 100% ok"), "plain text: 100% ok");
  EXPECT_EQ(printable("a\nb\rc\td\x1b[2Je\x7f"), "a\\x0ab\\x0dc\\x09d\\x1b[2Je\\x7f");
  EXPECT_EQ(printable(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 stays as it is
}

TEST(Printable, LogLinesCannotBeForged) {
  auto formatter = autonomy::escapedFormatter("%l %V");
  spdlog::details::log_msg msg("", spdlog::level::warn, "blob failed\n<3>level=error forged line");
  spdlog::memory_buf_t out;
  formatter->format(msg, out);
  const std::string line(out.data(), out.size());
  EXPECT_EQ(line, "warning blob failed\\x0a<3>level=error forged line\n");
}
