#include "engine/copy/CopyTurns.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::copy {

boost::asio::awaitable<bool> CopyTurns::waitTurn(std::size_t index, CancelTokenPtr cancel) {
  if (cancel && cancel->cancelled()) co_return false;
  if (open_ || index <= lowest_) co_return true;
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_);
  timer->expires_at(boost::asio::steady_timer::time_point::max());
  waiters_[index] = timer;
  CancelToken::Id id = 0;
  if (cancel) {
    std::weak_ptr<boost::asio::steady_timer> weak = timer;
    id = cancel->subscribe([weak] {
      if (auto t = weak.lock()) t->cancel();
    });
  }
  co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  if (cancel && id) cancel->unsubscribe(id);
  waiters_.erase(index);
  co_return !(cancel && cancel->cancelled());
}

void CopyTurns::pass(std::size_t index) {
  if (index >= passed_.size() || passed_[index]) return;
  passed_[index] = true;
  while (lowest_ < passed_.size() && passed_[lowest_]) ++lowest_;
  wakeReady();
}

void CopyTurns::openAll() {
  open_ = true;
  wakeReady();
}

void CopyTurns::wakeReady() {
  for (auto& [index, timer] : waiters_)
    if (open_ || index <= lowest_) timer->cancel();
}

}  // namespace autonomy::copy
