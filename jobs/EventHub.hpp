#pragma once
// Job events fanned out to subscribers (the API's server-sent event streams). Publishing never
// blocks: each subscription buffers, and a subscriber that falls far behind loses the oldest
// progress events rather than holding the scheduler up. Single-threaded (the io_context's).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace autonomy::jobs {

inline constexpr const char* kEventJobStarted = "job-started";
inline constexpr const char* kEventRepoStarted = "repo-started";
inline constexpr const char* kEventProgress = "progress";
inline constexpr const char* kEventRepoDone = "repo-done";
inline constexpr const char* kEventJobDone = "job-done";

struct JobEvent {
  std::uint64_t seq = 0;  // increasing across the hub; the SSE id
  std::string jobId;
  std::string type;
  nlohmann::json data;
};

class EventSubscription {
 public:
  static constexpr std::size_t kMaxBuffered = 1024;

  explicit EventSubscription(const boost::asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  // The next event; nullopt once closed and drained, or when `timeout` passes with nothing
  // (check closed() to tell them apart).
  boost::asio::awaitable<std::optional<JobEvent>> next(std::chrono::milliseconds timeout);
  bool closed() const { return closed_ && queue_.empty(); }
  void close();

 private:
  friend class EventHub;
  void push(const JobEvent& e);

  boost::asio::steady_timer timer_;
  std::deque<JobEvent> queue_;
  bool closed_ = false;
};

class EventHub {
 public:
  explicit EventHub(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  std::shared_ptr<EventSubscription> subscribe(const std::string& jobId);
  void publish(const std::string& jobId, std::string type, nlohmann::json data);
  // Ends every stream of the job (after its job-done event).
  void closeJob(const std::string& jobId);
  void closeAll();
  std::uint64_t lastSeq() const { return seq_; }
  std::size_t entries() const { return subscribers_.size(); }  // live and not yet swept

 private:
  static constexpr std::uint64_t kSweepEvery = 64;
  boost::asio::any_io_executor executor_;
  std::uint64_t seq_ = 0;
  std::uint64_t subscribes_ = 0;
  std::multimap<std::string, std::weak_ptr<EventSubscription>> subscribers_;
};

}  // namespace autonomy::jobs
