#pragma once
// What the operator sees on stderr: one summary line per repo as it finishes and, on a
// terminal, a live line with bytes sent and throughput for long copies.
#include <chrono>
#include <cstdint>
#include <string>

#include "engine/copy/CopyContext.hpp"

namespace autonomy::cli {

class ConsoleProgress : public copy::ProgressSink {
 public:
  ConsoleProgress(std::size_t totalRepos, bool quiet);
  void repoStarted(const std::string& repo) override;
  void bytesSent(const std::string& repo, std::uint64_t delta) override;
  void repoFinished(const catalog::SeedRecord& record) override;

  static std::string summaryLine(const catalog::SeedRecord& r);
  static std::string humanBytes(std::uint64_t bytes);

 private:
  void drawLive(bool force);
  void clearLive();

  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t running_ = 0;
  bool quiet_;
  bool tty_;
  bool liveShown_ = false;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastDraw_{};
};

}  // namespace autonomy::cli
