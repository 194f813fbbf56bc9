#include "jobs/Notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>

#include "engine/core/CancelToken.hpp"
#include "engine/core/SecretFile.hpp"
#include "engine/registry/Connection.hpp"
#include "engine/registry/TlsContext.hpp"
#include "engine/registry/Url.hpp"
#include "jobs/JobEvent.hpp"

namespace autonomy::jobs {

namespace {
constexpr auto kDeliveryStall = std::chrono::seconds(10);
constexpr std::size_t kReplyLimit = 64 * 1024;

// What one delivery attempt came to.
enum class Delivery { kDelivered, kRetry, kRefused };

// The counters only: `queued` is a gauge of the live outbox.
void addCounts(NotifyStats& into, const NotifyStats& from) {
  into.sent += from.sent;
  into.failed += from.failed;
  into.dropped += from.dropped;
}

Delivery classify(unsigned status) {
  if (status >= 200 && status < 300) return Delivery::kDelivered;
  if (status == 408 || status == 429 || status >= 500) return Delivery::kRetry;
  return Delivery::kRefused;
}

}  // namespace

struct Notifier::Outbox {
  Outbox(const boost::asio::any_io_executor& executor, config::NotifyTarget t)
      : target(std::move(t)), timer(executor) {}

  config::NotifyTarget target;
  std::deque<std::string> queue;  // event bodies, oldest first
  NotifyStats stats;
  bool sending = false;
  bool retired = false;
  boost::asio::steady_timer timer;  // backoff
  CancelTokenPtr cancel = std::make_shared<CancelToken>();
  std::shared_ptr<boost::asio::ssl::context> tls;  // made on the first https attempt

  // Stops the sender (at its next step) and drops what is queued, counted.
  void retire() {
    retired = true;
    stats.dropped += queue.size();
    queue.clear();
    stats.queued = 0;
    timer.cancel();
    cancel->cancel();
  }
};

namespace {

// One POST of the event; the HTTP status, or why there was none.
async::Task<Result<unsigned>> postOnce(boost::asio::any_io_executor executor, Notifier::Outbox& box,
                                       const std::vector<std::filesystem::path>& roots) {
  auto url = registry::Url::parse(box.target.url);
  if (!url) co_return url.error();
  registry::Origin origin;
  origin.url = *url;
  origin.stallTimeout = kDeliveryStall;
  if (url->tls) {
    if (!box.tls) {
      auto tls = registry::makeTlsContext(url->authority(), roots);
      if (!tls) co_return tls.error();
      box.tls = *tls;
    }
    origin.tls = box.tls;
  }
  registry::HttpRequest request;
  request.method = "POST";
  request.target = url->target;
  request.set("Content-Type", std::string(kCloudEventsJson));
  if (box.target.tokenFile) {
    auto token = readSecretFile(*box.target.tokenFile, "token_file");
    if (!token) co_return token.error();
    if (token->empty())
      co_return makeError(ErrorCode::kConfig, "token_file " + box.target.tokenFile->string() + " is empty");
    request.set("Authorization", "Bearer " + *token);
  }
  request.body = box.queue.front();
  auto connection = co_await registry::Connection::open(executor, origin, box.cancel);
  if (!connection) co_return connection.error();
  auto reply = co_await (*connection)->exchange(std::move(request), kReplyLimit);
  (*connection)->close();
  if (!reply) co_return reply.error();
  if (classify(reply->status) == Delivery::kRefused)
    spdlog::error("notify {}: refused with HTTP {}: {} (check the url and token_file; the event is dropped)",
                  box.target.url, reply->status, reply->body.substr(0, 300));
  co_return reply->status;
}

// Counts the attempt and moves the queue on; how long to wait before the next attempt.
std::chrono::seconds settle(Notifier::Outbox& box, const Result<unsigned>& status, int& attempts) {
  const Delivery outcome = status ? classify(*status) : Delivery::kRetry;
  auto next = std::chrono::seconds(0);
  if (outcome == Delivery::kDelivered) {
    ++box.stats.sent;
  } else {
    ++box.stats.failed;
  }
  if (outcome == Delivery::kRetry && ++attempts < kMaxAttempts) {
    next = std::min<std::chrono::seconds>(kMaxBackoff, kFirstBackoff * (1 << (attempts - 1)));
    spdlog::warn("notify {}: {}; retrying in {}s", box.target.url,
                 status ? "HTTP " + std::to_string(*status) : status.error().message, next.count());
    return next;
  }
  if (outcome == Delivery::kRetry) {
    spdlog::error("notify {}: giving up on an event after {} attempts: {}", box.target.url, attempts,
                  status ? "HTTP " + std::to_string(*status) : status.error().message);
  }
  if (outcome != Delivery::kDelivered) ++box.stats.dropped;
  box.queue.pop_front();
  box.stats.queued = box.queue.size();
  attempts = 0;
  return next;
}

// Delivers the outbox oldest first until it is empty or retired. (Named results, no break
// after a co_await: GCC 12 miscompiles those shapes in coroutines; see DESIGN.)
boost::asio::awaitable<void> drain(boost::asio::any_io_executor executor, std::shared_ptr<Notifier::Outbox> box,
                                   std::vector<std::filesystem::path> roots) {
  int attempts = 0;
  while (!box->retired && !box->queue.empty()) {
    const Result<unsigned> status = co_await postOnce(executor, *box, roots);
    const auto backoff = box->retired ? std::chrono::seconds(0) : settle(*box, status, attempts);
    if (backoff.count() > 0) {
      box->timer.expires_after(backoff);
      co_await box->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }
  box->sending = false;
}

}  // namespace

Notifier::Notifier(const boost::asio::any_io_executor& executor, std::string source,
                   std::vector<std::filesystem::path> certsRoots)
    : executor_(executor), source_(std::move(source)), certsRoots_(std::move(certsRoots)) {}

void Notifier::setTargets(const std::vector<config::NotifyTarget>& targets) {
  std::vector<std::shared_ptr<Outbox>> next;
  for (const auto& t : targets) {
    auto same = std::find_if(outboxes_.begin(), outboxes_.end(), [&](const auto& b) { return b->target.url == t.url; });
    if (same != outboxes_.end()) {
      (*same)->target = t;  // token file and events may change; the queue stays
      next.push_back(*same);
      outboxes_.erase(same);
    } else {
      next.push_back(std::make_shared<Outbox>(executor_, t));
    }
  }
  for (auto& gone : outboxes_) {
    gone->retire();
    addCounts(retired_[gone->target.url], gone->stats);
  }
  outboxes_ = std::move(next);
}

void Notifier::jobEnded(const JobRecord& job) {
  if (!isFinishedJobState(job.state)) return;
  std::string body;
  for (auto& box : outboxes_) {
    if (box->retired) {
      ++box->stats.dropped;  // stopped for shutdown
      continue;
    }
    const auto& events = box->target.events;
    if (std::none_of(events.begin(), events.end(),
                     [&](const std::string& e) { return config::notifyEventMatches(e, job.state); }))
      continue;
    if (body.empty()) body = jobEndEvent(job, source_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (box->queue.size() >= kMaxQueuedEvents) {
      spdlog::warn("notify {}: {} events waiting; dropping the oldest", box->target.url, box->queue.size());
      box->queue.pop_front();
      ++box->stats.dropped;
    }
    box->queue.push_back(body);
    box->stats.queued = box->queue.size();
    startSender(box);
  }
}

void Notifier::startSender(const std::shared_ptr<Outbox>& box) {
  if (box->sending) return;
  box->sending = true;
  boost::asio::co_spawn(executor_, drain(executor_, box, certsRoots_),
                        [url = box->target.url](const std::exception_ptr& e) {
                          if (!e) return;
                          try {
                            std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                            spdlog::error("notify {}: {}", url, ex.what());
                          }
                        });
}

void Notifier::stop() {
  for (auto& box : outboxes_) box->retire();
}

std::map<std::string, NotifyStats> Notifier::stats() const {
  std::map<std::string, NotifyStats> out = retired_;
  for (const auto& box : outboxes_) {
    auto& s = out[box->target.url];
    addCounts(s, box->stats);
    s.queued = box->stats.queued;
  }
  return out;
}

}  // namespace autonomy::jobs
