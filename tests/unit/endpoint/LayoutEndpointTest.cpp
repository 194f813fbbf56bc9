// The layout endpoint on its own: tags as ref names, digest checks on every read, and the
// archive form written to a temporary name and read back in place.
#include "engine/endpoint/LayoutEndpoint.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>

#include "engine/endpoint/MemoryFeed.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::endpoint {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

template <typename T>
T runTask(boost::asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(task), [&](const std::exception_ptr& e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.restart();
  io.run();
  return std::move(*out);
}

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";

// A layout holding one blob and fleet/app:v1 naming kManifest.
void fill(boost::asio::io_context& io, LayoutEndpoint& l) {
  MemoryFeed feed("layer bytes", "test");
  ASSERT_TRUE(runTask(io, l.writeBlob("fleet/app", feed, WriteOptions{})));
  ASSERT_TRUE(
      runTask(io, l.putManifest("fleet/app", "v1", kManifest, "application/vnd.oci.image.manifest.v1+json", nullptr)));
}

TEST(LayoutEndpoint, TagsAreRefNamesAndReadsAreDigestChecked) {
  boost::asio::io_context io;
  TempDir dir("layout");
  const auto root = dir.path() / "l";
  {
    auto l = LayoutEndpoint::create(io.get_executor(), root);
    ASSERT_TRUE(l) << l.error().message;
    fill(io, **l);
  }
  auto l = LayoutEndpoint::open(io.get_executor(), root);
  ASSERT_TRUE(l) << l.error().message;
  ASSERT_EQ((*l)->entries().size(), 1u);
  EXPECT_EQ((*l)->entries()[0].refName, "fleet/app:v1");
  auto tags = runTask(io, (*l)->listTags("fleet/app", nullptr));
  ASSERT_TRUE(tags);
  EXPECT_EQ(tags->tags, std::vector<std::string>{"v1"});
  EXPECT_TRUE(runTask(io, (*l)->listTags("fleet", nullptr))->tags.empty());
  auto m = runTask(io, (*l)->getManifest("fleet/app", "v1", nullptr));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->bytes, kManifest);
  EXPECT_EQ(m->info.digest, oci::Digest::ofBytes(kManifest));
  EXPECT_FALSE(runTask(io, (*l)->headManifest("fleet/app", "v2", nullptr)));

  // The manifest's file altered: refused, naming the layout.
  std::ofstream(root / "blobs" / "sha256" / oci::Digest::ofBytes(kManifest).hex()) << kManifest << " ";
  auto altered = runTask(io, (*l)->getManifest("fleet/app", "v1", nullptr));
  ASSERT_FALSE(altered);
  EXPECT_EQ(altered.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(altered.error().message.find("does not hash to its digest"), std::string::npos);

  // A blob whose bytes do not match its descriptor is never stored under its digest.
  MemoryFeed wrong("other bytes", "test");
  struct Lying final : BlobFeed {
    MemoryFeed& inner;
    oci::Descriptor desc;
    explicit Lying(MemoryFeed& f) : inner(f), desc(f.descriptor()) { desc.digest = oci::Digest::ofBytes("claimed"); }
    const oci::Descriptor& descriptor() const override { return desc; }
    std::uint64_t offset() const override { return inner.offset(); }
    void seek(std::uint64_t o) override { inner.seek(o); }
    Task<Status> fill(char* d, std::size_t n) override { co_return co_await inner.fill(d, n); }
    Task<bool> hasExtraBytes() override { co_return false; }
    std::string origin() const override { return "test"; }
  } lying(wrong);
  EXPECT_FALSE(runTask(io, (*l)->writeBlob("fleet/app", lying, WriteOptions{})));
  EXPECT_FALSE(fs::exists(root / "blobs" / "sha256" / oci::Digest::ofBytes("claimed").hex()));
  for (const auto& e : fs::directory_iterator(root / "blobs" / "sha256"))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(LayoutEndpoint, AnArchiveAppearsOnlyWhenWholeAndIsReadInPlace) {
  boost::asio::io_context io;
  TempDir dir("archive");
  const auto file = dir.path() / "fleet.tar";
  {
    auto a = LayoutEndpoint::createArchive(io.get_executor(), file);
    ASSERT_TRUE(a) << a.error().message;
    fill(io, **a);
    EXPECT_FALSE(fs::exists(file)) << "before finish there is no archive, only its staging";
    EXPECT_TRUE(fs::exists(fs::path(file.string() + ".partial.d") / "index.json"));
    ASSERT_TRUE(runTask(io, (*a)->finish(nullptr)));
  }
  EXPECT_TRUE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file.string() + ".partial"));
  EXPECT_FALSE(fs::exists(file.string() + ".partial.d"));
  EXPECT_FALSE(LayoutEndpoint::createArchive(io.get_executor(), file)) << "an archive is never added to";

  auto r = LayoutEndpoint::openArchive(io.get_executor(), file);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->name(), "oci-archive:" + file.string());
  auto m = runTask(io, (*r)->getManifest("fleet/app", "v1", nullptr));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->bytes, kManifest);
  auto blob = runTask(io, (*r)->getBlob("fleet/app", oci::Digest::ofBytes("layer bytes"), 1024, nullptr));
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(*blob, "layer bytes");
  auto stream = runTask(io, (*r)->openBlob("fleet/app", oci::Digest::ofBytes("layer bytes"), 6, nullptr));
  ASSERT_TRUE(stream);
  char buf[64];
  auto n = runTask(io, (*stream)->read(buf, sizeof buf));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "bytes") << "a read stops at the member's end";

  // Cut short: a clear error at open, before anything is copied.
  fs::resize_file(file, fs::file_size(file) - 700);
  auto cut = LayoutEndpoint::openArchive(io.get_executor(), file);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
}

}  // namespace
}  // namespace autonomy::endpoint
