#include "engine/core/CancelToken.hpp"

#include <vector>

namespace autonomy {

void CancelToken::cancel() {
  std::vector<std::function<void()>> run;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_.exchange(true)) return;
    for (auto& [id, fn] : callbacks_) run.push_back(std::move(fn));
    callbacks_.clear();
  }
  for (auto& fn : run) fn();
}

CancelToken::Id CancelToken::subscribe(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled_) {
      const Id id = next_++;
      callbacks_.emplace(id, std::move(fn));
      return id;
    }
  }
  fn();
  return 0;
}

void CancelToken::unsubscribe(Id id) {
  std::lock_guard lock(mutex_);
  callbacks_.erase(id);
}

}  // namespace autonomy
