#pragma once
// A blob held in memory as a BlobFeed: a small document (a sidecar, an index) to write.
#include <cstring>

#include "engine/endpoint/Endpoint.hpp"

namespace autonomy::endpoint {

class MemoryFeed final : public BlobFeed {
 public:
  MemoryFeed(std::string bytes, std::string origin) : bytes_(std::move(bytes)), origin_(std::move(origin)) {
    desc_.digest = oci::Digest::ofBytes(bytes_);
    desc_.size = bytes_.size();
  }
  const oci::Descriptor& descriptor() const override { return desc_; }
  std::uint64_t offset() const override { return offset_; }
  void seek(std::uint64_t offset) override { offset_ = std::min<std::uint64_t>(offset, bytes_.size()); }
  Task<Status> fill(char* data, std::size_t want) override {
    if (want > bytes_.size() - offset_) co_return makeError(ErrorCode::kInternal, "read past the end of " + origin_);
    std::memcpy(data, bytes_.data() + offset_, want);
    offset_ += want;
    co_return Status{};
  }
  Task<bool> hasExtraBytes() override { co_return false; }
  std::string origin() const override { return origin_; }

 private:
  std::string bytes_;
  oci::Descriptor desc_;
  std::string origin_;
  std::uint64_t offset_ = 0;
};

}  // namespace autonomy::endpoint
