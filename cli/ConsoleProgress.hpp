#pragma once
// What the operator sees on stderr: one summary line per repo as it finishes and a progress
// view of the run: bytes settled of bytes planned, percent, rate, time left, and the largest
// blob in flight. On a terminal a live line (redrawn at most 5 times a second, cut to the
// terminal's width, cleared before anything else is printed); elsewhere (journald, CI logs) a
// plain line every 30 s while the run lasts, so a stuck sync shows in the log.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/copy/CopyContext.hpp"

namespace autonomy::cli {

// The run's byte accounting, apart from any drawing (unit-tested on its own).
struct ProgressTotals {
  std::uint64_t planned = 0;  // what the manifests of started repos say could move
  std::uint64_t settled = 0;  // of that, blobs done (sent, mounted or found at B) + bytes in flight
  std::uint64_t sent = 0;     // bytes actually sent (the rate is over these)
  struct InFlight {
    std::uint64_t size = 0;
    std::uint64_t sent = 0;
  };
  std::map<std::string, InFlight> inFlight;         // by digest
  std::map<std::string, std::uint64_t> openByRepo;  // planned bytes of a repo not yet settled

  void plan(const std::string& repo, std::uint64_t bytes);
  void start(const oci::Digest& d, std::uint64_t size);
  void add(const oci::Digest& d, std::uint64_t delta);
  void done(const std::string& repo, const oci::Digest& d, std::uint64_t size);
  void repoFinished(const std::string& repo);  // a failed repo's unsettled bytes leave the plan
  std::optional<std::pair<std::string, InFlight>> largestInFlight() const;
};

// "120.5 MiB of 410.0 MiB (29%), 19.6 MiB/s, 15s left"; the rate is sent bytes over `elapsed`.
std::string describeProgress(const ProgressTotals& t, double elapsedSeconds, bool planComplete);
std::string humanDuration(double seconds);  // "15s", "3m05s", "1h02m"

class ConsoleProgress : public copy::ProgressSink {
 public:
  // Without an executor (following a daemon job) there is no timer: lines move with events.
  ConsoleProgress(std::optional<boost::asio::any_io_executor> executor, std::size_t totalRepos, bool quiet,
                  std::chrono::seconds plainInterval = std::chrono::seconds(30));
  ~ConsoleProgress() override;
  void repoStarted(const std::string& repo) override;
  void blobsPlanned(const std::string& repo, std::uint64_t bytes) override;
  void blobStarted(const std::string& repo, const oci::Digest& d, std::uint64_t size) override;
  void bytesSent(const std::string& repo, const oci::Digest& d, std::uint64_t delta) override;
  void blobDone(const std::string& repo, const oci::Digest& d, std::uint64_t size) override;
  void repoFinished(const catalog::SeedRecord& record) override;
  // Ends the live line (the next output starts on a clean line) and stops the timer.
  void finish();

  static std::string summaryLine(const catalog::SeedRecord& r);
  static std::string humanBytes(std::uint64_t bytes);

 private:
  std::string statusText() const;
  void drawLive(bool force);
  void clearLive();
  void armTimer();
  void tick();

  std::optional<boost::asio::steady_timer> timer_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t started_ = 0;
  std::size_t running_ = 0;
  bool quiet_;
  bool tty_;
  std::chrono::seconds plainInterval_;
  bool finished_ = false;
  bool liveShown_ = false;
  ProgressTotals totals_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastDraw_{};
  std::chrono::steady_clock::time_point lastPlain_ = std::chrono::steady_clock::now();
};

}  // namespace autonomy::cli
