#pragma once
// The source side of one blob: a read that, when it breaks, reopens from the byte it had
// reached, so bytes already read are never fetched again.
#include <memory>
#include <string>

#include "engine/copy/CopyContext.hpp"
#include "engine/endpoint/FailureBudget.hpp"

namespace autonomy::copy {

class SourceStream final : public endpoint::BlobFeed {
 public:
  SourceStream(CopyContext* ctx, std::string repo, const oci::Descriptor& desc);

  const oci::Descriptor& descriptor() const override { return desc_; }
  std::uint64_t offset() const override { return offset_; }
  void seek(std::uint64_t offset) override {
    reader_.reset();
    offset_ = offset;
  }
  std::string origin() const override { return ctx_->source->name() + "/" + repo_; }
  registry::Task<Status> fill(char* data, std::size_t want) override;
  registry::Task<bool> hasExtraBytes() override;

 private:
  registry::Task<Status> open();

  CopyContext* ctx_;
  std::string repo_;
  oci::Descriptor desc_;
  std::string what_;
  endpoint::FailureBudget budget_;
  std::unique_ptr<endpoint::BlobStream> reader_;
  std::uint64_t offset_ = 0;
};

}  // namespace autonomy::copy
