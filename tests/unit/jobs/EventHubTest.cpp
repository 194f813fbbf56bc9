// Event subscriptions that end are forgotten, even for a job that never publishes again.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "jobs/EventHub.hpp"

using autonomy::jobs::EventHub;

TEST(EventHub, EndedSubscriptionsOfAFinishedJobDoNotAccumulate) {
  boost::asio::io_context io;
  EventHub hub(io.get_executor());
  auto live = hub.subscribe("running-job");
  for (int i = 0; i < 20000; ++i) hub.subscribe("finished-job");  // each dropped at once
  EXPECT_LE(hub.entries(), 65u);
  hub.publish("running-job", "progress", nlohmann::json::object());
  EXPECT_FALSE(live->closed());
}
