// The CLI's reader of the daemon's server-sent events: frames split anywhere by the socket.
#include <gtest/gtest.h>

#include "cli/SseParser.hpp"

namespace autonomy::cli {
namespace {

TEST(SseParser, ReadsFramesWithTypeIdAndData) {
  SseParser p;
  auto events = p.feed("event: snapshot\ndata: {\"id\":\"1\"}\n\nid: 7\nevent: progress\ndata: {\"bytes\":5}\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "snapshot");
  EXPECT_EQ(events[0].data, "{\"id\":\"1\"}");
  EXPECT_EQ(events[1].type, "progress");
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(events[1].data, "{\"bytes\":5}");
}

TEST(SseParser, AFrameCutAnywhereComesOutWhole) {
  const std::string text = "id: 3\nevent: repo-done\ndata: {\"repo\":\"a/b\"}\n\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    SseParser p;
    auto first = p.feed(text.substr(0, cut));
    auto second = p.feed(text.substr(cut));
    first.insert(first.end(), second.begin(), second.end());
    ASSERT_EQ(first.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(first[0].type, "repo-done");
    EXPECT_EQ(first[0].data, "{\"repo\":\"a/b\"}");
  }
}

TEST(SseParser, SkipsKeepAlivesAndJoinsDataLinesAndAcceptsCrLf) {
  SseParser p;
  auto events = p.feed(": keep-alive\n\ndata: one\r\ndata: two\r\n\r\n: keep-alive\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "one\ntwo");
}

TEST(SseParser, AnUnfinishedFrameWaitsForItsBlankLine) {
  SseParser p;
  EXPECT_TRUE(p.feed("event: job-done\ndata: {}\n").empty());
  auto events = p.feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "job-done");
}

}  // namespace
}  // namespace autonomy::cli
