#pragma once
// Finished jobs as JSON text, kept so that listing pages (GET /v1/jobs) do not load and render
// the same immutable jobs again: with 1,000 jobs of 20 repos, rendering was ~7 ms a page on
// one core. Only jobs in a final state go in (they never change); ids come from the store's
// listing, so a pruned job is never served from here. Bounded by entries and bytes; the oldest
// entry goes first.
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace autonomy::api {

class RenderedJobs {
 public:
  explicit RenderedJobs(std::size_t maxEntries = 2048, std::size_t maxBytes = 32u << 20)
      : maxEntries_(maxEntries), maxBytes_(maxBytes) {}

  const std::string* find(const std::string& id) const;
  void put(const std::string& id, std::string json);
  std::size_t size() const { return byId_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t maxEntries_;
  std::size_t maxBytes_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::string, std::string> byId_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace autonomy::api
