#pragma once
// A stand-in for the engine's copy of one repo, so scheduler tests run without registries: it
// reports progress, takes `delay` (ending early on cancel), and fails the repos it is told to.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include "engine/copy/CopyContext.hpp"
#include "engine/copy/SeedRunner.hpp"

namespace autonomy::jobs::testing {

struct FakeEngine {
  std::chrono::milliseconds delay{30};
  std::set<std::string> failRepos;
  std::size_t inFlight = 0;
  std::size_t maxInFlight = 0;
  std::map<std::string, int> writers;  // dest host/repo -> seeds writing it now
  bool overlap = false;                // two seeds wrote one destination repo at once
  std::map<std::string, int> calls;    // repo -> runs
};

// The engine the next scheduler uses (tests run one at a time).
void useFakeEngine(FakeEngine* engine);
registry::Task<catalog::SeedRecord> fakeSeed(copy::CopyContext* ctx, copy::SeedRequest request,
                                             copy::CopyAdmission& admission);

// Runs the io_context until pred() holds or the timeout passes; returns pred().
template <typename Pred>
bool runUntil(boost::asio::io_context& io, Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace autonomy::jobs::testing
