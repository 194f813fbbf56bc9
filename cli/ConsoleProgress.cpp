#include "cli/ConsoleProgress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/core/Printable.hpp"

namespace autonomy::cli {

void ProgressTotals::plan(const std::string& repo, std::uint64_t bytes) {
  planned += bytes;
  openByRepo[repo] += bytes;
}

void ProgressTotals::start(const oci::Digest& d, std::uint64_t size) { inFlight[d.str()] = InFlight{size, 0}; }

void ProgressTotals::add(const oci::Digest& d, std::uint64_t delta) {
  sent += delta;
  if (auto it = inFlight.find(d.str()); it != inFlight.end()) it->second.sent += delta;
}

void ProgressTotals::done(const std::string& repo, const oci::Digest& d, std::uint64_t size) {
  inFlight.erase(d.str());
  settled += size;
  auto& open = openByRepo[repo];
  open -= std::min(open, size);
}

void ProgressTotals::repoFinished(const std::string& repo) {
  if (auto it = openByRepo.find(repo); it != openByRepo.end()) {
    planned -= std::min(planned, it->second);
    openByRepo.erase(it);
  }
}

std::optional<std::pair<std::string, ProgressTotals::InFlight>> ProgressTotals::largestInFlight() const {
  std::optional<std::pair<std::string, InFlight>> best;
  for (const auto& [digest, f] : inFlight)
    if (!best || f.size > best->second.size) best = std::make_pair(digest, f);
  return best;
}

std::string humanDuration(double seconds) {
  const auto s = std::llround(seconds);
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string describeProgress(const ProgressTotals& t, double elapsedSeconds, bool planComplete) {
  std::uint64_t moving = 0;
  for (const auto& [digest, f] : t.inFlight) moving += f.sent;
  const std::uint64_t doneBytes = t.settled + moving;
  const std::uint64_t total = std::max(t.planned, doneBytes);
  const double rate = elapsedSeconds > 0 ? static_cast<double>(t.sent) / elapsedSeconds : 0;
  if (t.planned == 0 && t.inFlight.empty())  // nothing says what will move (a daemon job's events)
    return ConsoleProgress::humanBytes(t.sent) + " sent, " +
           ConsoleProgress::humanBytes(static_cast<std::uint64_t>(rate)) + "/s";
  const std::string more = planComplete ? "" : "+";  // repos not started yet add to the plan
  std::string out = ConsoleProgress::humanBytes(doneBytes) + " of " + ConsoleProgress::humanBytes(total) + more;
  if (total > 0) out += " (" + std::to_string(doneBytes * 100 / total) + "%)";
  out += ", " + ConsoleProgress::humanBytes(static_cast<std::uint64_t>(rate)) + "/s";
  // Time left at today's rate; blobs that turn out to be at B already only shorten it.
  if (rate > 0 && total > doneBytes)
    out += ", " + humanDuration(static_cast<double>(total - doneBytes) / rate) + more + " left";
  if (auto big = t.largestInFlight(); big && big->second.size > 0) {
    const auto& [digest, f] = *big;
    const auto hex = digest.substr(digest.find(':') + 1, 12);
    out += "; largest in flight " + hex + " " + ConsoleProgress::humanBytes(f.sent) + "/" +
           ConsoleProgress::humanBytes(f.size);
  }
  return out;
}

ConsoleProgress::ConsoleProgress(std::optional<boost::asio::any_io_executor> executor, std::size_t totalRepos,
                                 bool quiet, std::chrono::seconds plainInterval)
    : total_(totalRepos), quiet_(quiet), tty_(::isatty(2) == 1), plainInterval_(plainInterval) {
  if (executor) timer_.emplace(*executor);
  if (!quiet_) armTimer();
}

ConsoleProgress::~ConsoleProgress() {
  try {
    finish();
  } catch (...) {  // the last progress line is worth no abort
  }
}

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
  ++started_;
  drawLive(false);
}

void ConsoleProgress::blobsPlanned(const std::string& repo, std::uint64_t bytes) {
  totals_.plan(repo, bytes);
  drawLive(false);
}

void ConsoleProgress::blobStarted(const std::string&, const oci::Digest& d, std::uint64_t size) {
  totals_.start(d, size);
}

void ConsoleProgress::bytesSent(const std::string&, const oci::Digest& d, std::uint64_t delta) {
  totals_.add(d, delta);
  drawLive(false);
}

void ConsoleProgress::blobDone(const std::string& repo, const oci::Digest& d, std::uint64_t size) {
  totals_.done(repo, d, size);
}

void ConsoleProgress::repoFinished(const catalog::SeedRecord& record) {
  --running_;
  ++done_;
  totals_.repoFinished(record.repo);
  clearLive();
  if (!quiet_ || !record.ok()) std::fprintf(stderr, "%s\n", summaryLine(record).c_str());
  drawLive(true);
}

void ConsoleProgress::finish() {
  if (finished_) return;
  finished_ = true;
  if (timer_) timer_->cancel();
  clearLive();
  std::fflush(stderr);
}

std::string ConsoleProgress::statusText() const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char head[96];
  std::snprintf(head, sizeof head, "[%zu/%zu repos, %zu running] ", done_, total_, running_);
  return head + describeProgress(totals_, secs, started_ >= total_);
}

void ConsoleProgress::drawLive(bool force) {
  if (!tty_ || quiet_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - lastDraw_ < std::chrono::milliseconds(200)) return;
  lastDraw_ = now;
  std::string line = statusText();
  // A line longer than the terminal wraps, and "\r" then redraws only its last row.
  winsize ws{};
  const std::size_t width = ::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 119;
  if (line.size() > width) line.resize(width);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  liveShown_ = true;
}

void ConsoleProgress::clearLive() {
  if (!liveShown_) return;
  std::fprintf(stderr, "\r\033[K");
  liveShown_ = false;
}

void ConsoleProgress::armTimer() {
  if (!timer_) return;
  timer_->expires_after(std::chrono::seconds(1));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || finished_) return;
    tick();
    armTimer();
  });
}

// Once a second: the live line moves on even when no byte does (the rate falls, the time left
// grows); off a terminal, a plain line every plainInterval_ (--progress-interval).
void ConsoleProgress::tick() {
  drawLive(true);
  if (tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - lastPlain_ < plainInterval_) return;
  lastPlain_ = now;
  std::fprintf(stderr, "progress: %s\n", statusText().c_str());
  std::fflush(stderr);
}

}  // namespace autonomy::cli
