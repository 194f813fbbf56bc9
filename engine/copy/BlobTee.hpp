#pragma once
// One read of a blob from the source feeding several destinations at once (fan-out). The bytes
// pass through one bounded window: the read moves on only as fast as the slowest writer takes
// them (back-pressure), so memory stays at the window whatever the number of peers. A writer
// that must go back behind the window (its upload lost a chunk and resumes from the last one
// committed) reads from there on its own, from the source.
#include <memory>
#include <string>
#include <vector>

#include "engine/async/AsyncSignal.hpp"
#include "engine/copy/SourceStream.hpp"

namespace autonomy::copy {

class BlobTee {
 public:
  // `window`: bytes held for the writers between them (at least one writer's piece).
  BlobTee(CopyContext* ctx, std::string repo, const oci::Descriptor& desc, std::size_t window);
  BlobTee(const BlobTee&) = delete;
  BlobTee& operator=(const BlobTee&) = delete;

  // A feed for one writer. Every feed is made before any of them is read; each must be
  // destroyed before the tee.
  std::unique_ptr<endpoint::BlobFeed> feed();
  // Writers that fell behind the window and read on their own.
  std::size_t fallbacks() const { return fallbacks_; }

 private:
  class Feed;
  registry::Task<Status> fillFor(Feed& f, char* data, std::size_t want);
  registry::Task<bool> extraBytes();
  registry::Task<void> readMore();
  void leave(Feed* f);
  void trim();

  CopyContext* ctx_;
  std::string repo_;
  oci::Descriptor desc_;
  SourceStream source_;
  std::vector<char> window_;  // the byte at offset o sits at o % size
  std::uint64_t base_ = 0;    // first byte held (the slowest feed's offset)
  std::uint64_t end_ = 0;     // one past the last byte read
  bool reading_ = false;
  bool probing_ = false;
  std::optional<bool> extra_;
  std::optional<Error> failure_;
  std::vector<Feed*> feeds_;  // reading from the window
  async::AsyncSignal changed_;
  std::size_t fallbacks_ = 0;
};

}  // namespace autonomy::copy
