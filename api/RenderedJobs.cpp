#include "api/RenderedJobs.hpp"

namespace autonomy::api {

const std::string* RenderedJobs::find(const std::string& id) const {
  const auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &it->second;
}

void RenderedJobs::put(const std::string& id, std::string json) {
  if (json.size() > maxBytes_ || byId_.count(id)) return;
  while (!order_.empty() && (byId_.size() >= maxEntries_ || bytes_ + json.size() > maxBytes_)) {
    const auto old = byId_.find(order_.front());
    bytes_ -= old->second.size();
    byId_.erase(old);
    order_.pop_front();
  }
  bytes_ += json.size();
  order_.push_back(id);
  byId_.emplace(id, std::move(json));
}

}  // namespace autonomy::api
