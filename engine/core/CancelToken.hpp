#pragma once
// Cooperative cancellation shared by a job's tasks: cancel() flips the flag and runs the
// registered callbacks (which close sockets), so in-flight transfers stop promptly.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace autonomy {

class CancelToken {
 public:
  using Id = std::uint64_t;

  bool cancelled() const { return cancelled_.load(); }
  void cancel();
  // Runs fn at once if already cancelled (and returns 0).
  Id subscribe(std::function<void()> fn);
  void unsubscribe(Id id);

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  Id next_ = 1;
  std::map<Id, std::function<void()>> callbacks_;
};

using CancelTokenPtr = std::shared_ptr<CancelToken>;

}  // namespace autonomy
