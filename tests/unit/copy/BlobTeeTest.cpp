// One read of the source feeding several writers (fan-out): every writer gets every byte, the
// source is read once, the fastest writer is held to the window ahead of the slowest, and a
// writer that goes back behind the window (or leaves) does not hold the others.
#include "engine/copy/BlobTee.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "engine/async/TaskGroup.hpp"
#include "engine/endpoint/LayoutEndpoint.hpp"
#include "engine/endpoint/MemoryFeed.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::copy {
namespace {

using endpoint::BlobStream;
using endpoint::Endpoint;
using registry::Task;

// A source that counts what is read from it: the blob reads it opens and the bytes they deliver.
class CountingSource final : public Endpoint {
 public:
  explicit CountingSource(Endpoint& inner) : inner_(inner) {}
  std::uint64_t bytesRead = 0;
  int opens = 0;

  const std::string& name() const override { return inner_.name(); }
  boost::asio::any_io_executor executor() const override { return inner_.executor(); }
  std::size_t parallelism() const override { return inner_.parallelism(); }
  Task<Result<registry::ManifestInfo>> headManifest(std::string r, std::string ref, CancelTokenPtr c) override {
    co_return co_await inner_.headManifest(std::move(r), std::move(ref), std::move(c));
  }
  Task<Result<registry::FetchedManifest>> getManifest(std::string r, std::string ref, CancelTokenPtr c) override {
    co_return co_await inner_.getManifest(std::move(r), std::move(ref), std::move(c));
  }
  Task<Status> putManifest(std::string r, std::string ref, std::string b, std::string mt, CancelTokenPtr c) override {
    co_return co_await inner_.putManifest(std::move(r), std::move(ref), std::move(b), std::move(mt), std::move(c));
  }
  Task<Result<registry::TagListing>> listTags(std::string r, CancelTokenPtr c) override {
    co_return co_await inner_.listTags(std::move(r), std::move(c));
  }
  Task<Result<std::optional<std::string>>> getReferrers(std::string r, oci::Digest d, CancelTokenPtr c) override {
    co_return co_await inner_.getReferrers(std::move(r), std::move(d), std::move(c));
  }
  Task<Result<bool>> blobExists(std::string r, oci::Digest d, CancelTokenPtr c) override {
    co_return co_await inner_.blobExists(std::move(r), std::move(d), std::move(c));
  }
  Task<Result<std::string>> getBlob(std::string r, oci::Digest d, std::size_t limit, CancelTokenPtr c) override {
    co_return co_await inner_.getBlob(std::move(r), std::move(d), limit, std::move(c));
  }
  Task<Result<std::unique_ptr<BlobStream>>> openBlob(std::string r, oci::Digest d, std::uint64_t offset,
                                                     CancelTokenPtr c) override {
    auto s = co_await inner_.openBlob(std::move(r), std::move(d), offset, std::move(c));
    if (!s) co_return s.error();
    ++opens;
    co_return std::unique_ptr<BlobStream>(std::make_unique<Counted>(std::move(*s), &bytesRead));
  }
  Task<Result<bool>> mountBlob(std::string r, oci::Digest d, std::string from, CancelTokenPtr c) override {
    co_return co_await inner_.mountBlob(std::move(r), std::move(d), std::move(from), std::move(c));
  }
  Task<Status> writeBlob(std::string r, endpoint::BlobFeed& f, endpoint::WriteOptions o) override {
    co_return co_await inner_.writeBlob(std::move(r), f, std::move(o));
  }

 private:
  class Counted final : public BlobStream {
   public:
    Counted(std::unique_ptr<BlobStream> s, std::uint64_t* n) : s_(std::move(s)), n_(n) {}
    std::uint64_t length() const override { return s_->length(); }
    Task<Result<std::size_t>> read(char* buf, std::size_t size) override {
      auto r = co_await s_->read(buf, size);
      if (r) *n_ += *r;
      co_return r;
    }

   private:
    std::unique_ptr<BlobStream> s_;
    std::uint64_t* n_;
  };
  Endpoint& inner_;
};

constexpr std::size_t kPiece = 64u << 10;
constexpr std::size_t kWindow = 4 * kPiece;

struct Fixture {
  Fixture() : dir("tee") {
    std::mt19937 rng(7);
    bytes.resize(3u << 20);
    for (auto& c : bytes) c = static_cast<char>(rng());
    auto l = endpoint::LayoutEndpoint::create(io.get_executor(), dir.path() / "src");
    EXPECT_TRUE(l) << l.error().message;
    layout = std::move(*l);
    endpoint::MemoryFeed feed(bytes, "test");
    desc = feed.descriptor();
    run(layout->writeBlob("app", feed, endpoint::WriteOptions{}));
    source = std::make_unique<CountingSource>(*layout);
    ctx.source = source.get();
    ctx.limits.bufferSize = kPiece;
  }
  template <typename T>
  void run(Task<T> task) {
    boost::asio::co_spawn(io, std::move(task), [](const std::exception_ptr& e, auto&&...) {
      if (e) std::rethrow_exception(e);
    });
    io.restart();
    io.run();
  }
  boost::asio::io_context io;
  testing::TempDir dir;
  std::string bytes;
  oci::Descriptor desc;
  std::unique_ptr<endpoint::LayoutEndpoint> layout;
  std::unique_ptr<CountingSource> source;
  CopyContext ctx;
};

struct Reader {
  std::unique_ptr<endpoint::BlobFeed> feed;
  std::string got;
  std::chrono::milliseconds pause{0};
  std::uint64_t seekBackAt = 0;  // after this many bytes, go back to byte 0 (0: never)
  std::uint64_t leaveAt = 0;     // after this many bytes, stop and drop the feed (0: never)
  bool extra = true;
  Status status;
};

// Reads the whole blob in pieces; the slow reader checks no other is more than the window ahead.
Task<void> readAll(Reader* r, std::vector<Reader>* all, std::uint64_t size, std::uint64_t* maxLead) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  bool wentBack = false;
  while (r->feed->offset() < size) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, size - r->feed->offset()));
    std::string piece(n, '\0');
    if (auto st = co_await r->feed->fill(piece.data(), n); !st) {
      r->status = st;
      co_return;
    }
    r->got += piece;
    if (r->leaveAt > 0 && r->got.size() >= r->leaveAt) {
      r->feed.reset();
      co_return;
    }
    if (r->seekBackAt > 0 && !wentBack && r->got.size() >= r->seekBackAt) {
      wentBack = true;
      r->got.clear();
      r->feed->seek(0);
    }
    if (r->pause.count() > 0) {
      for (const auto& other : *all)
        if (other.feed && &other != r && other.feed->offset() > r->feed->offset())
          *maxLead = std::max(*maxLead, other.feed->offset() - r->feed->offset());
      timer.expires_after(r->pause);
      co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }
  r->extra = co_await r->feed->hasExtraBytes();
}

Task<void> readTogether(std::vector<Reader>* readers, std::uint64_t size, std::uint64_t* maxLead) {
  async::TaskGroup group(co_await boost::asio::this_coro::executor);
  for (auto& r : *readers) group.spawn(readAll(&r, readers, size, maxLead));
  co_await group.wait();
}

TEST(BlobTee, OneReadFeedsEveryWriterAtTheSlowestWritersPace) {
  Fixture f;
  BlobTee tee(&f.ctx, "app", f.desc, kWindow);
  std::vector<Reader> readers(3);
  for (auto& r : readers) r.feed = tee.feed();
  readers[2].pause = std::chrono::milliseconds(2);
  std::uint64_t maxLead = 0;
  f.run(readTogether(&readers, f.desc.size, &maxLead));
  for (const auto& r : readers) {
    ASSERT_TRUE(r.status) << r.status.error().message;
    EXPECT_TRUE(r.got == f.bytes);
    EXPECT_FALSE(r.extra);
  }
  EXPECT_EQ(f.source->bytesRead, f.desc.size);  // read once for all three
  EXPECT_EQ(f.source->opens, 1);
  EXPECT_EQ(tee.fallbacks(), 0u);
  EXPECT_GT(maxLead, 0u);                // the fast ones did run ahead...
  EXPECT_LE(maxLead, kWindow + kPiece);  // ...but only as far as the window lets them
}

TEST(BlobTee, AWriterThatGoesBackBehindTheWindowReadsOnItsOwnAndHoldsNobody) {
  Fixture f;
  BlobTee tee(&f.ctx, "app", f.desc, kWindow);
  std::vector<Reader> readers(2);
  for (auto& r : readers) r.feed = tee.feed();
  readers[1].seekBackAt = 1u << 20;  // as an upload that lost its chunk and resumes at byte 0
  std::uint64_t maxLead = 0;
  f.run(readTogether(&readers, f.desc.size, &maxLead));
  for (const auto& r : readers) {
    ASSERT_TRUE(r.status) << r.status.error().message;
    EXPECT_TRUE(r.got == f.bytes);
  }
  EXPECT_EQ(tee.fallbacks(), 1u);
  EXPECT_EQ(f.source->opens, 2);
  EXPECT_EQ(f.source->bytesRead, 2 * f.desc.size);  // the shared read, and its own from byte 0
}

TEST(BlobTee, AWriterThatLeavesReleasesTheWindow) {
  Fixture f;
  BlobTee tee(&f.ctx, "app", f.desc, kWindow);
  std::vector<Reader> readers(3);
  for (auto& r : readers) r.feed = tee.feed();
  readers[0].leaveAt = kPiece;  // its peer failed after one piece
  readers[0].pause = std::chrono::milliseconds(50);
  std::uint64_t maxLead = 0;
  f.run(readTogether(&readers, f.desc.size, &maxLead));
  EXPECT_TRUE(readers[1].got == f.bytes);
  EXPECT_TRUE(readers[2].got == f.bytes);
  EXPECT_EQ(f.source->bytesRead, f.desc.size);
}

}  // namespace
}  // namespace autonomy::copy
