#pragma once
// How many failed attempts one blob may take. A failure after real progress starts the count
// again, so a long blob over a link that drops every N MiB still gets through; failures that
// win nothing (the same bytes lost over and over) end the blob after `limit` tries.
#include <algorithm>
#include <cstdint>

namespace autonomy::endpoint {

class FailureBudget {
 public:
  explicit FailureBudget(int limit) : limit_(limit) {}
  // Records a failure at `mark` (bytes achieved so far); false once the budget is spent.
  bool spend(std::uint64_t mark) {
    if (mark >= best_ + kProgress) failures_ = 0;
    best_ = std::max(best_, mark);
    return ++failures_ <= limit_;
  }

 private:
  static constexpr std::uint64_t kProgress = 1u << 20;  // less than this since the last failure is no progress
  int limit_;
  int failures_ = 0;
  std::uint64_t best_ = 0;
};

}  // namespace autonomy::endpoint
