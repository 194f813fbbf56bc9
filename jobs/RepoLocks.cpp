#include "jobs/RepoLocks.hpp"

namespace autonomy::jobs {

boost::asio::awaitable<std::optional<RepoLocks::Lock>> RepoLocks::lock(std::string key, CancelTokenPtr cancel) {
  auto it = gates_.find(key);
  if (it == gates_.end()) it = gates_.emplace(key, std::make_shared<async::AsyncGate>(executor_, 1)).first;
  auto gate = it->second;  // the map entry may go while we wait; the gate may not
  const bool granted = co_await gate->acquire(cancel);
  if (!granted) {
    if (gate->available() == 1 && gate->waiting() == 0) gates_.erase(key);
    co_return std::nullopt;
  }
  co_return Lock(this, key);
}

bool RepoLocks::isLocked(const std::string& key) const {
  auto it = gates_.find(key);
  return it != gates_.end() && it->second->available() == 0;
}

void RepoLocks::unlock(const std::string& key) {
  auto it = gates_.find(key);
  if (it == gates_.end()) return;
  auto gate = it->second;
  gate->release();
  if (gate->available() == 1 && gate->waiting() == 0) gates_.erase(it);
}

}  // namespace autonomy::jobs
