#include "cli/ConsoleProgress.hpp"

#include <unistd.h>

#include <cstdio>

#include "engine/core/Printable.hpp"

namespace autonomy::cli {

ConsoleProgress::ConsoleProgress(std::size_t totalRepos, bool quiet)
    : total_(totalRepos), quiet_(quiet), tty_(::isatty(2) == 1) {}

std::string ConsoleProgress::humanBytes(std::uint64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else if (bytes < (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  else if (bytes < (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
  return buf;
}

std::string ConsoleProgress::summaryLine(const catalog::SeedRecord& r) {
  char buf[512];
  const std::string digest = r.digest.empty() ? "-" : r.digest.substr(0, 19);
  std::snprintf(buf, sizeof buf, "%-13s %s  %s  blobs %llu copied/%llu mounted/%llu present  %s  %.1fs",
                printable(r.status).c_str(), printable(r.destination).c_str(), printable(digest).c_str(),
                static_cast<unsigned long long>(r.blobsCopied), static_cast<unsigned long long>(r.blobsMounted),
                static_cast<unsigned long long>(r.blobsPresent), humanBytes(r.bytesSent).c_str(), r.seconds);
  std::string line = buf;
  if (r.error) line += "\n              error: " + printable(r.error->message);
  return line;
}

void ConsoleProgress::repoStarted(const std::string&) {
  ++running_;
  drawLive(false);
}

void ConsoleProgress::bytesSent(const std::string&, std::uint64_t delta) {
  bytes_ += delta;
  drawLive(false);
}

void ConsoleProgress::repoFinished(const catalog::SeedRecord& record) {
  --running_;
  ++done_;
  clearLive();
  if (!quiet_ || !record.ok()) std::fprintf(stderr, "%s\n", summaryLine(record).c_str());
  drawLive(true);
}

void ConsoleProgress::drawLive(bool force) {
  if (!tty_ || quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - lastDraw_ < std::chrono::milliseconds(200)) return;
  lastDraw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(bytes_) / secs : 0;
  std::fprintf(stderr, "\r\033[K[%zu/%zu repos, %zu running] %s sent, %s/s", done_, total_, running_,
               humanBytes(bytes_).c_str(), humanBytes(static_cast<std::uint64_t>(rate)).c_str());
  std::fflush(stderr);
  liveShown_ = true;
}

void ConsoleProgress::clearLive() {
  if (!liveShown_) return;
  std::fprintf(stderr, "\r\033[K");
  liveShown_ = false;
}

}  // namespace autonomy::cli
