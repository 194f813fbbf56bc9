#include "engine/copy/BlobLedger.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::copy {

std::optional<std::string> BlobLedger::holder(const oci::Digest& d, const std::string& preferRepo) const {
  auto [lo, hi] = holders_.equal_range(d);
  std::optional<std::string> any;
  for (auto it = lo; it != hi; ++it) {
    if (it->second == preferRepo) return it->second;
    if (!any) any = it->second;
  }
  return any;
}

bool BlobLedger::holds(const oci::Digest& d, const std::string& repo) const {
  auto [lo, hi] = holders_.equal_range(d);
  for (auto it = lo; it != hi; ++it)
    if (it->second == repo) return true;
  return false;
}

void BlobLedger::record(const oci::Digest& d, const std::string& repo) {
  if (!holds(d, repo)) holders_.emplace(d, repo);
}

boost::asio::awaitable<bool> BlobLedger::claim(oci::Digest d) {
  auto it = inFlight_.find(d);
  if (it == inFlight_.end()) {
    auto timer = std::make_shared<boost::asio::steady_timer>(executor_);
    timer->expires_at(boost::asio::steady_timer::time_point::max());
    inFlight_.emplace(d, std::move(timer));
    co_return true;
  }
  auto timer = it->second;  // keep it alive while we wait
  co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return false;
}

void BlobLedger::release(const oci::Digest& d) {
  auto it = inFlight_.find(d);
  if (it == inFlight_.end()) return;
  it->second->cancel();
  inFlight_.erase(it);
}

}  // namespace autonomy::copy
