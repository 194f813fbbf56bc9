#include "engine/copy/SourceStream.hpp"

#include <functional>

namespace autonomy::copy {

using registry::Task;

SourceStream::SourceStream(CopyContext* ctx, std::string repo, const oci::Descriptor& desc)
    : ctx_(ctx),
      repo_(std::move(repo)),
      desc_(desc),
      what_("copy blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)"),
      budget_(ctx->limits.maxStalls) {}

Task<Status> SourceStream::fill(char* data, std::size_t want) {
  std::size_t filled = 0;
  while (filled < want) {
    if (ctx_->window && !ctx_->window->isOpen()) {
      // The read stays open through the pause: dropping it would throw away what the socket
      // buffers already hold, and A would send those bytes again. If A drops it meanwhile, the
      // read reopens at offset_ as after any break.
      std::function<bool()> cancelled = [cancel = ctx_->cancel] { return cancel && cancel->cancelled(); };
      const bool open = co_await ctx_->window->waitOpen(std::move(cancelled));
      if (!open) co_return makeError(ErrorCode::kCancelled, "cancelled while paused outside its schedule's windows");
      continue;
    }
    if (!reader_) {
      auto opened = co_await open();
      if (!opened) co_return opened;
      continue;
    }
    auto n = co_await reader_->read(data + filled, want - filled);
    if (!n) {
      reader_.reset();
      if (!n.error().transient || !budget_.spend(offset_)) co_return n.error().context(what_);
      continue;  // reopen at offset_: what was read stays read
    }
    if (*n == 0) co_return makeError(ErrorCode::kIntegrity, what_ + ": the source ended the blob early");
    filled += *n;
    offset_ += *n;
  }
  co_return Status{};
}

Task<bool> SourceStream::hasExtraBytes() {
  if (!reader_) co_return false;
  char probe[1];
  auto extra = co_await reader_->read(probe, sizeof probe);
  co_return extra&&* extra > 0;
}

Task<Status> SourceStream::open() {
  while (true) {
    if (ctx_->cancel && ctx_->cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what_ + ": cancelled");
    auto r = co_await ctx_->source->openBlob(repo_, desc_.digest, offset_, ctx_->cancel);
    if (!r) {
      if (!r.error().transient || !budget_.spend(offset_)) co_return r.error().context(what_);
      continue;
    }
    if ((*r)->length() != desc_.size - offset_)
      co_return makeError(ErrorCode::kIntegrity, what_ + ": the source sends " + std::to_string((*r)->length()) +
                                                     " bytes from offset " + std::to_string(offset_) +
                                                     " but the manifest says the blob has " +
                                                     std::to_string(desc_.size));
    reader_ = std::move(*r);
    co_return Status{};
  }
}

}  // namespace autonomy::copy
