#include "tests/support/images/OciLayout.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "engine/core/AtomicFile.hpp"
#include "engine/oci/MediaTypes.hpp"

namespace autonomy::testing {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";

Result<std::string> readWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::kIo, "read " + path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return makeError(ErrorCode::kIo, "read " + path.string() + ": read error");
  return bytes;
}

Status writeWholeFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return makeError(ErrorCode::kIo, "write " + path.string() + ": failed (disk full?)");
  return {};
}

}  // namespace

Result<OciLayout> OciLayout::open(fs::path dir) {
  std::error_code ec;
  fs::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) return makeError(ErrorCode::kIo, "create OCI layout " + dir.string() + ": " + ec.message());
  OciLayout layout(std::move(dir));
  if (auto s = writeWholeFile(layout.dir_ / "oci-layout", kLayoutFile); !s) return s.error();
  if (fs::exists(layout.dir_ / "index.json")) {
    if (auto s = layout.loadIndex(); !s) return s.error();
  } else if (auto s = layout.writeIndex(); !s) {
    return s.error();
  }
  return layout;
}

fs::path OciLayout::blobPath(const oci::Digest& digest) const {
  return dir_ / "blobs" / digest.algorithm() / digest.hex();
}

bool OciLayout::hasBlob(const oci::Digest& digest) const {
  std::error_code ec;
  return fs::exists(blobPath(digest), ec);
}

Result<BlobRef> OciLayout::putBlob(std::string_view bytes, std::string mediaType) {
  BlobRef ref{oci::Digest::ofBytes(bytes), bytes.size(), std::move(mediaType)};
  if (hasBlob(ref.digest)) return ref;
  const fs::path temp = newTempPath();
  if (auto s = writeWholeFile(temp, bytes); !s) return s.error();
  if (auto s = adoptBlob(temp, ref.digest); !s) return s.error();
  return ref;
}

Result<std::string> OciLayout::readBlob(const oci::Digest& digest) const { return readWholeFile(blobPath(digest)); }

fs::path OciLayout::newTempPath() {
  return dir_ / ("tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++tempCounter_));
}

Status OciLayout::adoptBlob(const fs::path& tempPath, const oci::Digest& digest) {
  std::error_code ec;
  fs::rename(tempPath, blobPath(digest), ec);
  if (ec) {
    fs::remove(tempPath, ec);
    return makeError(ErrorCode::kIo, "store blob " + digest.str() + " in " + dir_.string() + ": " + ec.message());
  }
  return {};
}

Status OciLayout::tag(std::string_view tag, std::string_view mediaType, const oci::Digest& digest, std::uint64_t size) {
  if (!hasBlob(digest)) {
    return makeError(ErrorCode::kNotFound,
                     "tag " + std::string(tag) + " in " + dir_.string() + ": " + digest.str() + " is not stored");
  }
  LayoutEntry entry{std::string(tag), std::string(mediaType), digest, size};
  bool replaced = false;
  for (auto& existing : entries_) {
    if (existing.tag == tag) {
      existing = entry;
      replaced = true;
    }
  }
  if (!replaced) entries_.push_back(std::move(entry));
  return writeIndex();
}

std::string OciLayout::skopeoReference(std::string_view tag) const {
  return "oci:" + dir_.string() + ":" + std::string(tag);
}

Status OciLayout::loadIndex() {
  const fs::path path = dir_ / "index.json";
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.error();
  const auto json = nlohmann::json::parse(*bytes, nullptr, false);
  if (json.is_discarded() || !json.contains("manifests") || !json["manifests"].is_array()) {
    return makeError(ErrorCode::kIntegrity, "read " + path.string() + ": not an OCI index");
  }
  for (const auto& m : json["manifests"]) {
    const auto annotations = m.value("annotations", nlohmann::json::object());
    auto digest = oci::Digest::parse(m.value("digest", ""));
    if (!digest) return digest.error().context("read " + path.string());
    entries_.push_back(LayoutEntry{annotations.value(std::string(kRefNameAnnotation), ""), m.value("mediaType", ""),
                                   *digest, m.value("size", std::uint64_t{0})});
  }
  return {};
}

Status OciLayout::writeIndex() const {
  nlohmann::ordered_json manifests = nlohmann::ordered_json::array();
  for (const auto& e : entries_) {
    nlohmann::ordered_json entry{{"mediaType", e.mediaType}, {"digest", e.digest.str()}, {"size", e.size}};
    if (!e.tag.empty()) entry["annotations"] = {{std::string(kRefNameAnnotation), e.tag}};
    manifests.push_back(std::move(entry));
  }
  const nlohmann::ordered_json index{
      {"schemaVersion", 2}, {"mediaType", std::string(oci::media::kOciIndex)}, {"manifests", std::move(manifests)}};
  return writeFileAtomically(dir_ / "index.json", index.dump());
}

}  // namespace autonomy::testing
