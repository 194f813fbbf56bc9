#include "jobs/EventHub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::jobs {

boost::asio::awaitable<std::optional<JobEvent>> EventSubscription::next(std::chrono::milliseconds timeout) {
  if (queue_.empty() && !closed_) {
    timer_.expires_after(timeout);
    co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  if (queue_.empty()) co_return std::nullopt;
  JobEvent e = std::move(queue_.front());
  queue_.pop_front();
  co_return e;
}

void EventSubscription::push(const JobEvent& e) {
  if (closed_) return;
  if (queue_.size() >= kMaxBuffered) {
    // Drop the oldest progress event; never a state change.
    auto it = std::find_if(queue_.begin(), queue_.end(), [](const JobEvent& q) { return q.type == kEventProgress; });
    if (it != queue_.end())
      queue_.erase(it);
    else if (e.type == kEventProgress)
      return;
  }
  queue_.push_back(e);
  timer_.cancel();
}

void EventSubscription::close() {
  closed_ = true;
  timer_.cancel();
}

std::shared_ptr<EventSubscription> EventHub::subscribe(const std::string& jobId) {
  // Streams that ended leave expired entries; a job that publishes nothing more (a finished
  // job's stream is just its snapshot) would keep them forever. Sweep now and then.
  if (++subscribes_ % kSweepEvery == 0)
    for (auto it = subscribers_.begin(); it != subscribers_.end();)
      it = it->second.expired() ? subscribers_.erase(it) : std::next(it);
  auto sub = std::make_shared<EventSubscription>(executor_);
  subscribers_.emplace(jobId, sub);
  return sub;
}

void EventHub::publish(const std::string& jobId, std::string type, nlohmann::json data) {
  JobEvent e{++seq_, jobId, std::move(type), std::move(data)};
  auto [begin, end] = subscribers_.equal_range(jobId);
  for (auto it = begin; it != end;) {
    if (auto sub = it->second.lock()) {
      sub->push(e);
      ++it;
    } else {
      it = subscribers_.erase(it);
    }
  }
}

void EventHub::closeJob(const std::string& jobId) {
  auto [begin, end] = subscribers_.equal_range(jobId);
  for (auto it = begin; it != end; ++it)
    if (auto sub = it->second.lock()) sub->close();
  subscribers_.erase(jobId);
}

void EventHub::closeAll() {
  for (auto& [id, weak] : subscribers_)
    if (auto sub = weak.lock()) sub->close();
  subscribers_.clear();
}

}  // namespace autonomy::jobs
