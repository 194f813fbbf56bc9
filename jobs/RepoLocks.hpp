#pragma once
// Two jobs never write the same destination repo at once: one lock per (to_registry, repo).
// The second writer waits (FIFO) and gives up only when its job is cancelled.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/async/AsyncGate.hpp"

namespace autonomy::jobs {

class RepoLocks {
 public:
  explicit RepoLocks(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  class Lock {
   public:
    Lock() = default;
    Lock(RepoLocks* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    Lock(Lock&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), key_(std::move(o.key_)) {}
    Lock& operator=(Lock&& o) noexcept {
      reset();
      owner_ = std::exchange(o.owner_, nullptr);
      key_ = std::move(o.key_);
      return *this;
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() { reset(); }
    void reset() {
      if (owner_) std::exchange(owner_, nullptr)->unlock(key_);
    }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    RepoLocks* owner_ = nullptr;
    std::string key_;
  };

  static std::string keyFor(const std::string& registry, const std::string& repo) { return registry + "/" + repo; }

  // nullopt when `cancel` fired while waiting.
  boost::asio::awaitable<std::optional<Lock>> lock(std::string key, CancelTokenPtr cancel);
  bool isLocked(const std::string& key) const;
  std::size_t size() const { return gates_.size(); }

 private:
  void unlock(const std::string& key);

  boost::asio::any_io_executor executor_;
  std::map<std::string, std::shared_ptr<async::AsyncGate>> gates_;
};

}  // namespace autonomy::jobs
