// linkem: run a LinkProxy from the command line, e.g. in front of a docker-registry in a demo
// or a shell test. First stdout line: "listening HOST:PORT"; on SIGINT/SIGTERM the counters as
// one JSON line.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "engine/core/AtomicFile.hpp"
#include "engine/core/GuardedMain.hpp"
#include "tools/linkem/Asio.hpp"
#include "tools/linkem/LinkOptions.hpp"
#include "tools/linkem/LinkProxy.hpp"

namespace {

using namespace autonomy;
using namespace autonomy::linkem;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

struct Flags {
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  std::optional<std::int64_t> latencyMs, upLatencyMs, downLatencyMs;
  std::optional<std::uint64_t> rateBps;
  std::optional<std::string> rate, upRate, downRate, burst;
  bool ratePerConnection = false;
  std::optional<std::string> dropAfter, stallAfter;
  std::uint64_t dropConnections = 0, stallConnections = 0;
  std::optional<std::int64_t> stallMs;
  std::string faultCount = "both";
  std::string statsFile;
  std::int64_t statsIntervalMs = 1000;
};

Result<std::uint64_t> optionalSize(const std::optional<std::string>& text, bool isRate) {
  if (!text) return std::uint64_t{0};
  return isRate ? parseRate(*text) : parseByteSize(*text);
}

Result<LinkOptions> toOptions(const Flags& f) {
  LinkOptions o;
  auto listen = parseHostPort(f.listen);
  if (!listen) return listen.error().context("--listen");
  auto upstream = parseHostPort(f.upstream);
  if (!upstream) return upstream.error().context("--upstream");
  o.listenHost = listen->host;
  o.listenPort = listen->port;
  o.upstreamHost = upstream->host;
  o.upstreamPort = upstream->port;

  if (f.latencyMs) o.setLatency(std::chrono::milliseconds(*f.latencyMs));
  if (f.upLatencyMs) o.up.latency = std::chrono::milliseconds(*f.upLatencyMs);
  if (f.downLatencyMs) o.down.latency = std::chrono::milliseconds(*f.downLatencyMs);

  if (f.rateBps) o.setRate(*f.rateBps);
  auto rate = optionalSize(f.rate, true);
  auto upRate = optionalSize(f.upRate, true);
  auto downRate = optionalSize(f.downRate, true);
  auto burst = optionalSize(f.burst, false);
  if (!rate) return rate.error().context("--rate");
  if (!upRate) return upRate.error().context("--up-rate");
  if (!downRate) return downRate.error().context("--down-rate");
  if (!burst) return burst.error().context("--burst");
  if (f.rate) o.setRate(*rate);
  if (f.upRate) o.up.rateBytesPerSecond = *upRate;
  if (f.downRate) o.down.rateBytesPerSecond = *downRate;
  o.burstBytes = *burst;
  o.rateScope = f.ratePerConnection ? RateScope::kPerConnection : RateScope::kShared;

  if (f.dropAfter) {
    auto bytes = parseByteSize(*f.dropAfter);
    if (!bytes) return bytes.error().context("--drop-after");
    o.dropAfterBytes = *bytes;
  }
  o.dropConnections = f.dropConnections;
  if (f.stallAfter) {
    auto bytes = parseByteSize(*f.stallAfter);
    if (!bytes) return bytes.error().context("--stall-after");
    o.stallAfterBytes = *bytes;
  }
  if (f.stallMs) o.stallFor = std::chrono::milliseconds(*f.stallMs);
  o.stallConnections = f.stallConnections;
  if (f.faultCount == "up") o.faultCounting = FaultCounting::kUp;
  if (f.faultCount == "down") o.faultCounting = FaultCounting::kDown;
  if (Status valid = validate(o); !valid) return valid.error();
  return o;
}

void writeStats(const LinkProxy& proxy, const std::string& path) {
  if (path.empty()) return;
  if (Status written = writeFileAtomically(path, toJson(proxy.stats()) + "\n"); !written) {
    std::cerr << "linkem: write stats " << path << ": " << written.error().message << "\n";
  }
}

boost::asio::awaitable<void> statsLoop(const LinkProxy* proxy, std::string path, std::chrono::milliseconds interval) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    writeStats(*proxy, path);
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(kUseTuple);
    if (ec) co_return;
  }
}

boost::asio::awaitable<void> stopOnSignal(boost::asio::io_context* io, boost::asio::signal_set* signals,
                                          LinkProxy* proxy, std::string statsPath) {
  auto [ec, signal] = co_await signals->async_wait(kUseTuple);
  if (!ec) std::cerr << "linkem: signal " << signal << ", stopping\n";
  proxy->stop();
  std::cout << toJson(proxy->stats()) << std::endl;
  writeStats(*proxy, statsPath);
  io->stop();
}

}  // namespace

static int mainBody(int argc, char** argv) {
  Flags f;
  CLI::App app{"linkem: TCP proxy that emulates a slow, lossy edge link (latency, rate cap, drops, stalls)"};
  app.add_option("--listen", f.listen, "HOST:PORT to listen on; port 0 picks one (printed on the first line)")
      ->capture_default_str();
  app.add_option("--upstream", f.upstream, "HOST:PORT to forward to")->required();
  app.add_option("--latency-ms", f.latencyMs, "one-way delay added in each direction")->check(CLI::NonNegativeNumber);
  app.add_option("--up-latency-ms", f.upLatencyMs, "one-way delay client -> upstream")->check(CLI::NonNegativeNumber);
  app.add_option("--down-latency-ms", f.downLatencyMs, "one-way delay upstream -> client")
      ->check(CLI::NonNegativeNumber);
  auto* rateBps = app.add_option("--rate-bps", f.rateBps, "bandwidth cap per direction in bytes per second");
  auto* rate = app.add_option("--rate", f.rate, "bandwidth cap per direction, e.g. 10MiB (per second)");
  rateBps->excludes(rate);
  app.add_option("--up-rate", f.upRate, "bandwidth cap client -> upstream, e.g. 512KiB");
  app.add_option("--down-rate", f.downRate, "bandwidth cap upstream -> client, e.g. 10MiB");
  app.add_flag("--rate-per-connection", f.ratePerConnection, "give each connection its own cap (default: shared)");
  app.add_option("--burst", f.burst, "token bucket depth (default: 20 ms of rate, at least 16KiB)");
  app.add_option("--drop-after", f.dropAfter, "reset a connection (RST) after this many bytes, e.g. 1MiB");
  app.add_option("--drop-connections", f.dropConnections, "drop only the first K connections (0 = every one)")
      ->capture_default_str();
  app.add_option("--stall-after", f.stallAfter, "stop forwarding (socket stays open) after this many bytes");
  app.add_option("--stall-ms", f.stallMs, "how long a stall lasts (default: forever)")->check(CLI::NonNegativeNumber);
  app.add_option("--stall-connections", f.stallConnections, "stall only the first K connections (0 = every one)")
      ->capture_default_str();
  app.add_option("--fault-count", f.faultCount, "which bytes count towards --drop-after/--stall-after")
      ->check(CLI::IsMember({"both", "up", "down"}))
      ->capture_default_str();
  app.add_option("--stats", f.statsFile, "write the counters as JSON to FILE periodically and on exit");
  app.add_option("--stats-interval-ms", f.statsIntervalMs, "how often --stats FILE is rewritten")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto options = toOptions(f);
  if (!options) {
    std::cerr << "linkem: " << options.error().message << "\n";
    return kExitUsage;
  }
  const std::string listenHost = options->listenHost;
  boost::asio::io_context io(1);
  // Registered before the "listening" line, so a script may signal as soon as it has read it.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  LinkProxy proxy(io, std::move(*options));
  auto port = proxy.start();
  if (!port) {
    std::cerr << "linkem: " << port.error().message << "\n";
    return port.error().code == ErrorCode::kUsage ? kExitUsage : kExitFailure;
  }
  std::cout << "listening " << listenHost << ":" << *port << std::endl;

  boost::asio::co_spawn(io, stopOnSignal(&io, &signals, &proxy, f.statsFile), boost::asio::detached);
  if (!f.statsFile.empty()) {
    boost::asio::co_spawn(io, statsLoop(&proxy, f.statsFile, std::chrono::milliseconds(f.statsIntervalMs)),
                          boost::asio::detached);
  }
  io.run();
  return 0;
}

int main(int argc, char** argv) {
  return autonomy::guardedMain("linkem", [&] { return mainBody(argc, argv); });
}
