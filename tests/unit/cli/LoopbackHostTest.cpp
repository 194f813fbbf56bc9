// Which --via hosts may be spoken to in plain HTTP without --allow-insecure-daemon.
#include <gtest/gtest.h>

#include "cli/DaemonClient.hpp"

using autonomy::cli::isLoopbackHost;

TEST(LoopbackHost, LoopbackNamesAndAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "[::1]", "::1"})
    EXPECT_TRUE(isLoopbackHost(host)) << host;
}

TEST(LoopbackHost, EverythingElseIsNot) {
  for (const char* host : {"10.0.0.1", "edge-b.local", "127.0.0.1.example.com", "127.evil", "1127.0.0.1", "[::2]",
                           "localhost.example", "", "127.0.0"})
    EXPECT_FALSE(isLoopbackHost(host)) << host;
}
