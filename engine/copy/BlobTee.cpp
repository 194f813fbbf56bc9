#include "engine/copy/BlobTee.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace autonomy::copy {

using registry::Task;

// One writer's view: its offset in the shared read, or its own read once it fell behind.
class BlobTee::Feed final : public endpoint::BlobFeed {
 public:
  explicit Feed(BlobTee* tee) : tee_(tee) {}
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;
  ~Feed() override {
    if (!solo_) tee_->leave(this);
  }

  const oci::Descriptor& descriptor() const override { return tee_->desc_; }
  std::uint64_t offset() const override { return solo_ ? solo_->offset() : offset_; }
  std::string origin() const override { return tee_->source_.origin(); }

  void seek(std::uint64_t offset) override {
    if (solo_) return solo_->seek(offset);
    if (offset >= tee_->base_ && offset <= tee_->end_) {
      offset_ = offset;
      tee_->trim();
      return;
    }
    // Behind the window: the other writers are not held back for this one.
    spdlog::info("{}: a writer went back to byte {} of {}, behind the shared read; it reads on its own from there",
                 origin(), offset, tee_->desc_.digest.shortStr());
    tee_->leave(this);
    ++tee_->fallbacks_;
    solo_ = std::make_unique<SourceStream>(tee_->ctx_, tee_->repo_, tee_->desc_);
    solo_->seek(offset);
  }

  Task<Status> fill(char* data, std::size_t want) override {
    if (solo_) co_return co_await solo_->fill(data, want);
    co_return co_await tee_->fillFor(*this, data, want);
  }

  Task<bool> hasExtraBytes() override {
    if (solo_) co_return co_await solo_->hasExtraBytes();
    co_return co_await tee_->extraBytes();
  }

 private:
  friend class BlobTee;
  BlobTee* tee_;
  std::uint64_t offset_ = 0;
  std::unique_ptr<SourceStream> solo_;
};

BlobTee::BlobTee(CopyContext* ctx, std::string repo, const oci::Descriptor& desc, std::size_t window)
    : ctx_(ctx),
      repo_(std::move(repo)),
      desc_(desc),
      source_(ctx, repo_, desc),
      window_(std::max<std::size_t>(1, window)),
      changed_(ctx->source->executor()) {}

std::unique_ptr<endpoint::BlobFeed> BlobTee::feed() {
  auto f = std::make_unique<Feed>(this);
  feeds_.push_back(f.get());
  return f;
}

void BlobTee::leave(Feed* f) {
  std::erase(feeds_, f);
  trim();
}

// The window starts at the slowest feed still reading from it.
void BlobTee::trim() {
  std::uint64_t slowest = end_;
  for (const auto* f : feeds_) slowest = std::min(slowest, f->offset_);
  if (slowest <= base_) return;
  base_ = slowest;
  changed_.notifyAll();  // room for the next read
}

Task<void> BlobTee::readMore() {
  reading_ = true;
  const std::size_t size = window_.size();
  const auto at = static_cast<std::size_t>(end_ % size);
  const std::uint64_t room = size - (end_ - base_);
  const auto n =
      static_cast<std::size_t>(std::min<std::uint64_t>({room, size - at, ctx_->limits.bufferSize, desc_.size - end_}));
  auto st = co_await source_.fill(window_.data() + at, n);
  reading_ = false;
  if (st)
    end_ += n;
  else
    failure_ = st.error();
  changed_.notifyAll();
}

Task<Status> BlobTee::fillFor(Feed& f, char* data, std::size_t want) {
  const std::size_t size = window_.size();
  std::size_t done = 0;
  while (done < want) {
    if (failure_) co_return *failure_;
    if (f.offset_ < end_) {
      const auto at = static_cast<std::size_t>(f.offset_ % size);
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({end_ - f.offset_, want - done, size - at}));
      std::memcpy(data + done, window_.data() + at, n);
      f.offset_ += n;
      done += n;
      trim();
      continue;
    }
    if (end_ >= desc_.size)
      co_return makeError(ErrorCode::kIntegrity,
                          "copy blob " + desc_.digest.shortStr() + ": a writer asked for bytes past its end");
    if (!reading_ && end_ - base_ < size) {
      co_await readMore();
      continue;
    }
    // The window is full until the slowest writer takes its bytes, or another feed is reading.
    const bool woken = co_await changed_.wait(ctx_->cancel);
    if (!woken) co_return makeError(ErrorCode::kCancelled, "copy blob " + desc_.digest.shortStr() + ": cancelled");
  }
  co_return Status{};
}

Task<bool> BlobTee::extraBytes() {
  // One probe for all the feeds; the others wait for its answer.
  while (probing_) {
    const bool woken = co_await changed_.wait(ctx_->cancel);
    if (!woken) co_return false;
  }
  if (!extra_ && !failure_) {  // after a failed fill the writer does not commit anyway
    probing_ = true;
    const bool extra = co_await source_.hasExtraBytes();
    extra_ = extra;
    probing_ = false;
    changed_.notifyAll();
  }
  co_return extra_.value_or(false);
}

}  // namespace autonomy::copy
