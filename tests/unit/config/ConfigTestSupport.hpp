#pragma once
// Helpers shared by the config loader tests.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/ConfigLoader.hpp"

namespace autonomy::config::testing {

inline constexpr std::string_view kConfigName = "/etc/autonomy/syncd.yaml";

inline DaemonConfig loadOk(std::string_view text) {
  auto config = loadConfigString(text, kConfigName);
  if (!config.ok()) {
    ADD_FAILURE() << "rejected:\n" << text << "\n--- because:\n" << config.error().message;
    return DaemonConfig{};
  }
  return std::move(config).value();
}

// The whole error text (one line per problem).
inline std::string loadError(std::string_view text, const LoadOptions& options = {}) {
  auto config = loadConfigString(text, kConfigName, options);
  if (config.ok()) {
    ADD_FAILURE() << "accepted:\n" << text;
    return {};
  }
  EXPECT_EQ(config.error().code, ErrorCode::kConfig);
  return config.error().message;
}

// "/etc/autonomy/syncd.yaml:<line>: <rest>"
inline std::string at(int line, std::string_view rest) {
  return std::string(kConfigName) + ":" + std::to_string(line) + ": " + std::string(rest);
}

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace autonomy::config::testing
