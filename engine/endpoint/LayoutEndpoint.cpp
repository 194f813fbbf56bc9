#include "engine/endpoint/LayoutEndpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/core/AtomicFile.hpp"
#include "engine/core/BoundedJson.hpp"
#include "engine/core/Sha256.hpp"
#include "engine/oci/MediaTypes.hpp"

namespace autonomy::endpoint {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kManifestLimit = 4u << 20;  // as a registry client reads them
constexpr JsonBounds kIndexBounds{64u << 20, 8};
constexpr const char* kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";

bool isDigest(const std::string& reference) { return reference.rfind("sha256:", 0) == 0; }

std::string refName(const std::string& repo, const std::string& tag) { return repo + ":" + tag; }

std::string sysError() { return std::strerror(errno); }

class FileBlobStream final : public BlobStream {
 public:
  FileBlobStream(std::FILE* f, std::uint64_t length) : f_(f), length_(length) {}
  ~FileBlobStream() override { std::fclose(f_); }
  FileBlobStream(const FileBlobStream&) = delete;
  FileBlobStream& operator=(const FileBlobStream&) = delete;
  std::uint64_t length() const override { return length_; }
  Task<Result<std::size_t>> read(char* buf, std::size_t size) override { co_return readNow(buf, size); }
  // Never past length(): in an archive the next member follows.
  Result<std::size_t> readNow(char* buf, std::size_t size) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size, length_ - done_));
    if (want == 0) return std::size_t{0};
    const std::size_t n = std::fread(buf, 1, want, f_);
    if (n == 0 && std::ferror(f_)) return makeError(ErrorCode::kIo, "reading a blob from the layout: " + sysError());
    done_ += n;
    return n;
  }

 private:
  std::FILE* f_;
  std::uint64_t length_;
  std::uint64_t done_ = 0;
};

// A file being written under a temporary name; removed unless committed.
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  ~TempFile() {
    if (f_) std::fclose(f_);
    if (!committed_) {
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  Status open() {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) return makeError(ErrorCode::kIo, "cannot write " + path_.string() + ": " + sysError());
    return {};
  }
  Status write(const char* data, std::size_t n) {
    if (std::fwrite(data, 1, n, f_) != n)
      return makeError(ErrorCode::kIo, "writing " + path_.string() + ": " + sysError() + " (is the medium full?)");
    return {};
  }
  // Flushed to the medium, then renamed: a power cut leaves the old name or the whole blob.
  Status commitAs(const fs::path& final) {
    if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0)
      return makeError(ErrorCode::kIo, "flushing " + path_.string() + ": " + sysError());
    std::fclose(std::exchange(f_, nullptr));
    std::error_code ec;
    fs::rename(path_, final, ec);
    if (ec) return makeError(ErrorCode::kIo, "renaming " + path_.string() + ": " + ec.message());
    committed_ = true;
    return {};
  }

 private:
  fs::path path_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

}  // namespace

LayoutEndpoint::LayoutEndpoint(boost::asio::any_io_executor executor, fs::path dir, std::string name)
    : executor_(std::move(executor)), dir_(std::move(dir)), name_(std::move(name)) {}

Result<std::unique_ptr<LayoutEndpoint>> LayoutEndpoint::open(boost::asio::any_io_executor executor, fs::path dir) {
  auto name = describeEnd(EndpointKind::kLayout, dir.string());
  std::unique_ptr<LayoutEndpoint> l(new LayoutEndpoint(std::move(executor), std::move(dir), std::move(name)));
  if (auto st = l->load(); !st) return st.error();
  return l;
}

Result<std::unique_ptr<LayoutEndpoint>> LayoutEndpoint::openArchive(boost::asio::any_io_executor executor,
                                                                    fs::path file) {
  auto members = scanTar(file);
  if (!members) return members.error();
  auto name = describeEnd(EndpointKind::kArchive, file.string());
  std::unique_ptr<LayoutEndpoint> l(new LayoutEndpoint(std::move(executor), {}, std::move(name)));
  l->archive_ = std::move(file);
  l->tar_ = std::move(*members);
  if (auto st = l->load(); !st) return st.error();
  return l;
}

Result<std::unique_ptr<LayoutEndpoint>> LayoutEndpoint::create(boost::asio::any_io_executor executor, fs::path dir) {
  auto name = describeEnd(EndpointKind::kLayout, dir.string());
  std::unique_ptr<LayoutEndpoint> l(new LayoutEndpoint(std::move(executor), std::move(dir), std::move(name)));
  if (auto st = l->initialize(); !st) return st.error();
  return l;
}

Result<std::unique_ptr<LayoutEndpoint>> LayoutEndpoint::createArchive(boost::asio::any_io_executor executor,
                                                                      fs::path file) {
  std::error_code ec;
  if (fs::exists(file, ec))
    return makeError(ErrorCode::kUsage, file.string() +
                                            " exists: an archive is written whole, never added to; name a new "
                                            "file or remove this one");
  auto staging = file;
  staging += ".partial.d";
  auto name = describeEnd(EndpointKind::kArchive, file.string());
  std::unique_ptr<LayoutEndpoint> l(new LayoutEndpoint(std::move(executor), std::move(staging), std::move(name)));
  l->archive_ = std::move(file);
  if (auto st = l->initialize(); !st) return st.error();
  return l;
}

Result<std::unique_ptr<LayoutEndpoint>> LayoutEndpoint::forEnd(boost::asio::any_io_executor executor, EndpointKind kind,
                                                               fs::path where, bool source) {
  if (kind == EndpointKind::kArchive)
    return source ? openArchive(std::move(executor), std::move(where))
                  : createArchive(std::move(executor), std::move(where));
  if (kind == EndpointKind::kLayout)
    return source ? open(std::move(executor), std::move(where)) : create(std::move(executor), std::move(where));
  return makeError(ErrorCode::kInternal, "a registry is not a layout endpoint");
}

Status LayoutEndpoint::initialize() {
  std::error_code ec;
  if (fs::exists(dir_ / "oci-layout", ec)) return load();
  if (fs::exists(dir_, ec) && !fs::is_empty(dir_, ec))
    return makeError(ErrorCode::kUsage, dir_.string() +
                                            " exists and is not an OCI layout (no oci-layout file); name an empty "
                                            "or new directory, or an existing layout to add to");
  fs::create_directories(dir_ / "blobs" / "sha256", ec);
  if (ec) return makeError(ErrorCode::kIo, "cannot create " + dir_.string() + ": " + ec.message());
  if (auto st = saveIndex(); !st) return st;
  return writeFileAtomically(dir_ / "oci-layout", kLayoutFile);
}

std::optional<std::uint64_t> LayoutEndpoint::storedSize(const std::string& rel) const {
  if (tar_) {
    auto it = tar_->find(rel);
    if (it == tar_->end()) return std::nullopt;
    return it->second.size;
  }
  std::error_code ec;
  if (!fs::is_regular_file(dir_ / rel, ec)) return std::nullopt;
  const auto size = fs::file_size(dir_ / rel, ec);
  if (ec) return std::nullopt;
  return size;
}

namespace {
Result<std::unique_ptr<FileBlobStream>> openRange(const fs::path& file, std::uint64_t start, std::uint64_t length,
                                                  const std::string& what) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return makeError(ErrorCode::kIo, "cannot read " + what + ": " + sysError());
  if (::fseeko(f, static_cast<off_t>(start), SEEK_SET) != 0) {
    std::fclose(f);
    return makeError(ErrorCode::kIo, "cannot read " + what + ": " + sysError());
  }
  return std::make_unique<FileBlobStream>(f, length);
}
}  // namespace

Result<std::unique_ptr<BlobStream>> LayoutEndpoint::openStored(const std::string& rel, std::uint64_t offset) const {
  const auto size = storedSize(rel);
  if (!size) return makeError(ErrorCode::kNotFound, rel + " is not in " + name_);
  const fs::path file = tar_ ? archive_ : dir_ / rel;
  const std::uint64_t start = tar_ ? tar_->at(rel).offset : 0;
  if (offset > *size) return makeError(ErrorCode::kIntegrity, rel + " in " + name_ + " is shorter than asked for");
  auto stream = openRange(file, start + offset, *size - offset, rel + " in " + name_);
  if (!stream) return stream.error();
  return std::unique_ptr<BlobStream>(std::move(*stream));
}

Result<std::string> LayoutEndpoint::readStored(const std::string& rel, std::size_t limit) const {
  const auto size = storedSize(rel);
  if (!size) return makeError(ErrorCode::kNotFound, rel + " is not in " + name_);
  if (*size > limit)
    return makeError(ErrorCode::kIntegrity, rel + " in " + name_ + " is over " + std::to_string(limit) + " bytes");
  const fs::path file = tar_ ? archive_ : dir_ / rel;
  auto stream = openRange(file, tar_ ? tar_->at(rel).offset : 0, *size, rel + " in " + name_);
  if (!stream) return stream.error();
  std::string bytes(static_cast<std::size_t>(*size), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    auto n = (*stream)->readNow(bytes.data() + got, bytes.size() - got);
    if (!n) return n.error();
    if (*n == 0) return makeError(ErrorCode::kIntegrity, rel + " in " + name_ + " ends early");
    got += *n;
  }
  return bytes;
}

Status LayoutEndpoint::load() {
  const std::string where = name_;
  auto marker = readStored("oci-layout", 4096);
  if (!marker) {
    if (marker.error().code == ErrorCode::kNotFound)
      return makeError(ErrorCode::kUsage, where + " is not an OCI image layout (no oci-layout file)");
    return marker.error();
  }
  auto version = parseBoundedJson(*marker, JsonBounds{4096, 4}, ErrorCode::kIntegrity, where + "/oci-layout");
  if (!version) return version.error();
  if (!version->is_object() || !version->contains("imageLayoutVersion"))
    return makeError(ErrorCode::kIntegrity, where + "/oci-layout has no imageLayoutVersion");
  auto text = readStored("index.json", kIndexBounds.maxBytes);
  if (!text) return makeError(ErrorCode::kIntegrity, where + " has no readable index.json: " + text.error().message);
  auto index = parseBoundedJson(*text, kIndexBounds, ErrorCode::kIntegrity, where + "/index.json");
  if (!index) return index.error();
  if (!index->is_object() || !(*index)["manifests"].is_array())
    return makeError(ErrorCode::kIntegrity, where + "/index.json is not an image index (no manifests array)");
  for (const auto& m : (*index)["manifests"]) {
    if (!m.is_object() || !m["digest"].is_string() || !m["size"].is_number_unsigned())
      return makeError(ErrorCode::kIntegrity, where + "/index.json: an entry without digest or size");
    auto d = oci::Digest::parse(m["digest"].get<std::string>());
    if (!d || d->algorithm() != "sha256")
      return makeError(ErrorCode::kIntegrity, where + "/index.json: entry digest " + m["digest"].get<std::string>() +
                                                  " is not a sha256 digest");
    Entry e;
    e.digest = *d;
    e.size = m["size"].get<std::uint64_t>();
    e.mediaType = m.value("mediaType", "");
    if (m.contains("annotations") && m["annotations"].is_object())
      e.refName = m["annotations"].value(kRefNameAnnotation, "");
    if (!e.refName.empty()) byRef_[e.refName] = entries_.size();
    entries_.push_back(std::move(e));
  }
  return loadPartial();
}

Status LayoutEndpoint::saveIndex() const {
  nlohmann::ordered_json index;
  index["schemaVersion"] = 2;
  index["mediaType"] = std::string(oci::media::kOciIndex);
  if (!leftOut_.empty())
    index["annotations"] = {
        {kPartialAnnotation, "blobs held by " + heldBy_ + " are left out: see " + std::string(kPartialFile)}};
  index["manifests"] = nlohmann::ordered_json::array();
  for (const auto& e : entries_) {
    nlohmann::ordered_json m{{"mediaType", e.mediaType}, {"digest", e.digest.str()}, {"size", e.size}};
    if (!e.refName.empty()) m["annotations"] = {{kRefNameAnnotation, e.refName}};
    index["manifests"].push_back(std::move(m));
  }
  return writeFileAtomically(dir_ / "index.json", index.dump(2) + "\n");
}

fs::path LayoutEndpoint::blobPath(const oci::Digest& d) const { return dir_ / "blobs" / "sha256" / d.hex(); }

Result<std::string> LayoutEndpoint::readChecked(const oci::Digest& d, std::size_t limit, std::string_view what) const {
  if (d.algorithm() != "sha256")
    return makeError(ErrorCode::kIntegrity, std::string(what) + " " + d.str() + ": only sha256 blobs are read");
  auto stored = readStored(blobName(d), limit);
  if (!stored) {
    if (stored.error().code == ErrorCode::kNotFound)
      return makeError(ErrorCode::kNotFound, std::string(what) + " " + d.str() + " is not in " + name_);
    return stored.error().context(std::string(what) + " " + d.str());
  }
  const std::string& bytes = *stored;
  if (oci::Digest::ofBytes(bytes) != d)
    return makeError(ErrorCode::kIntegrity, std::string(what) + " " + d.str() + " in " + name_ +
                                                " does not hash to its digest: the layout was altered or damaged");
  return std::move(*stored);
}

Result<FetchedManifest> LayoutEndpoint::manifestByDigest(const std::string& reference) const {
  auto d = oci::Digest::parse(reference);
  if (!d) return d.error();
  auto bytes = readChecked(*d, kManifestLimit, "manifest");
  if (!bytes) return bytes.error();
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  ManifestInfo info{*d, j.is_object() ? j.value("mediaType", "") : "", bytes->size()};
  return FetchedManifest{std::move(info), std::move(*bytes)};
}

Result<ManifestInfo> LayoutEndpoint::resolve(const std::string& repo, const std::string& reference) const {
  if (isDigest(reference)) {
    auto m = manifestByDigest(reference);
    if (!m) return m.error();
    return m->info;
  }
  auto it = byRef_.find(refName(repo, reference));
  if (it == byRef_.end()) return makeError(ErrorCode::kNotFound, repo + ":" + reference + " is not in " + name_);
  const auto& e = entries_[it->second];
  return ManifestInfo{e.digest, e.mediaType, e.size};
}

Task<Result<ManifestInfo>> LayoutEndpoint::headManifest(std::string repo, std::string reference, CancelTokenPtr) {
  co_return resolve(repo, reference);
}

Task<Result<FetchedManifest>> LayoutEndpoint::getManifest(std::string repo, std::string reference, CancelTokenPtr) {
  if (isDigest(reference)) co_return manifestByDigest(reference);  // read and checked once
  auto info = resolve(repo, reference);
  if (!info) co_return info.error();
  auto bytes = readChecked(info->digest, kManifestLimit, "manifest of " + repo + ":" + reference);
  if (!bytes) co_return bytes.error();
  if (info->size != bytes->size())
    co_return makeError(ErrorCode::kIntegrity, "index.json of " + name_ + " gives " + repo + ":" + reference +
                                                   " a size that its manifest does not have");
  if (info->mediaType.empty()) {
    auto j = nlohmann::json::parse(*bytes, nullptr, false);
    if (j.is_object()) info->mediaType = j.value("mediaType", "");
  }
  co_return FetchedManifest{*info, std::move(*bytes)};
}

Status LayoutEndpoint::writeStored(const oci::Digest& d, std::string_view bytes) const {
  if (tar_) return makeError(ErrorCode::kInternal, name_ + " is opened for reading");
  std::error_code ec;
  if (fs::exists(blobPath(d), ec)) return {};
  return writeFileAtomically(blobPath(d), bytes);
}

Task<Status> LayoutEndpoint::putManifest(std::string repo, std::string reference, std::string bytes,
                                         std::string mediaType, CancelTokenPtr) {
  const auto digest = oci::Digest::ofBytes(bytes);
  if (isDigest(reference) && reference != digest.str())
    co_return makeError(ErrorCode::kIntegrity, "manifest for " + repo + "@" + reference + " hashes to " + digest.str());
  if (auto st = writeStored(digest, bytes); !st) co_return st;
  if (isDigest(reference)) co_return Status{};
  // The tag is written last, in one replacement of index.json: it never names missing content.
  Entry e{refName(repo, reference), mediaType, digest, bytes.size()};
  if (auto it = byRef_.find(e.refName); it != byRef_.end()) {
    entries_[it->second] = std::move(e);
  } else {
    byRef_[e.refName] = entries_.size();
    entries_.push_back(std::move(e));
  }
  co_return saveIndex();
}

Task<Result<TagListing>> LayoutEndpoint::listTags(std::string repo, CancelTokenPtr) {
  TagListing out;
  const std::string prefix = repo + ":";
  for (const auto& [ref, _] : byRef_) {
    if (ref.rfind(prefix, 0) != 0) continue;
    auto tag = ref.substr(prefix.size());
    if (tag.find_first_of(":/") == std::string::npos) out.tags.push_back(std::move(tag));
  }
  co_return out;
}

Task<Result<std::optional<std::string>>> LayoutEndpoint::getReferrers(std::string, oci::Digest, CancelTokenPtr) {
  co_return std::optional<std::string>{};  // no referrers API: the fallback tag carries them
}

void LayoutEndpoint::leaveOut(std::map<std::string, std::set<oci::Digest>> held, std::string heldBy) {
  held_ = std::move(held);
  heldBy_ = std::move(heldBy);
}

Task<Result<bool>> LayoutEndpoint::blobExists(std::string repo, oci::Digest digest, CancelTokenPtr) {
  if (digest.algorithm() != "sha256") co_return false;
  if (storedSize(blobName(digest))) co_return true;
  auto held = held_.find(repo);
  if (held == held_.end() || !held->second.count(digest)) co_return false;
  // Recorded before any tag that needs it is written.
  if (leftOut_[repo].insert(digest).second) {
    if (auto st = savePartial(); !st) co_return st.error();
  }
  co_return true;
}

Status LayoutEndpoint::savePartial() const {
  nlohmann::ordered_json j;
  j["held_by"] = heldBy_;
  j["left_out"] = nlohmann::ordered_json::object();
  for (const auto& [repo, digests] : leftOut_) {
    auto& list = j["left_out"][repo] = nlohmann::ordered_json::array();
    for (const auto& d : digests) list.push_back(d.str());
  }
  return writeFileAtomically(dir_ / kPartialFile, j.dump(2) + "\n");
}

Status LayoutEndpoint::loadPartial() {
  if (!storedSize(kPartialFile)) return {};
  auto text = readStored(kPartialFile, kIndexBounds.maxBytes);
  if (!text) return text.error();
  auto j = parseBoundedJson(*text, kIndexBounds, ErrorCode::kIntegrity, name_ + "/" + kPartialFile);
  if (!j) return j.error();
  if (!j->is_object() || !(*j)["left_out"].is_object())
    return makeError(ErrorCode::kIntegrity, name_ + "/" + kPartialFile + " has no left_out map");
  heldBy_ = j->value("held_by", "");
  for (const auto& [repo, list] : (*j)["left_out"].items()) {
    if (!list.is_array()) continue;
    for (const auto& d : list) {
      if (!d.is_string()) continue;
      if (auto digest = oci::Digest::parse(d.get<std::string>())) leftOut_[repo].insert(*digest);
    }
  }
  return {};
}

Task<Result<std::string>> LayoutEndpoint::getBlob(std::string, oci::Digest digest, std::size_t limit, CancelTokenPtr) {
  co_return readChecked(digest, limit, "blob");
}

Task<Result<std::unique_ptr<BlobStream>>> LayoutEndpoint::openBlob(std::string, oci::Digest digest,
                                                                   std::uint64_t offset, CancelTokenPtr) {
  if (digest.algorithm() != "sha256")
    co_return makeError(ErrorCode::kIntegrity, "blob " + digest.str() + ": only sha256 blobs are read");
  if (!storedSize(blobName(digest))) {
    for (const auto& [repo, digests] : leftOut_)
      if (digests.count(digest))
        co_return makeError(ErrorCode::kNotFound,
                            "blob " + digest.str() + " was left out of this partial export (" + heldBy_ +
                                " held it when the inventory was taken) and the destination does not hold it: take "
                                "a new inventory there and export again, or export without --have");
    co_return makeError(ErrorCode::kNotFound, "blob " + digest.str() + " is not in " + name_);
  }
  co_return openStored(blobName(digest), offset);
}

Task<Result<bool>> LayoutEndpoint::mountBlob(std::string repo, oci::Digest digest, std::string, CancelTokenPtr cancel) {
  co_return co_await blobExists(std::move(repo), std::move(digest), std::move(cancel));  // blobs are shared
}

Task<Status> LayoutEndpoint::writeBlob(std::string, BlobFeed& feed, WriteOptions options) {
  const auto desc = feed.descriptor();
  const std::string what = "write blob " + desc.digest.shortStr() + " (" + std::to_string(desc.size) + " bytes)";
  if (tar_) co_return makeError(ErrorCode::kInternal, name_ + " is opened for reading");
  if (desc.digest.algorithm() != "sha256")
    co_return makeError(ErrorCode::kIntegrity, what + ": only sha256 blobs are stored");
  TempFile out(dir_ / "blobs" / "sha256" / (".partial-" + desc.digest.hex() + "-" + std::to_string(++tempCounter_)));
  if (auto st = out.open(); !st) co_return st;
  if (feed.offset() != 0) feed.seek(0);
  std::vector<char> buffer(std::max<std::size_t>(options.bufferSize, 4096));
  Sha256 hash;
  std::uint64_t done = 0;
  while (done < desc.size) {
    if (options.cancel && options.cancel->cancelled()) co_return makeError(ErrorCode::kCancelled, what + ": cancelled");
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), desc.size - done));
    if (auto st = co_await feed.fill(buffer.data(), n); !st) co_return st;
    hash.update(buffer.data(), n);
    if (auto st = out.write(buffer.data(), n); !st) co_return st;
    done += n;
    if (options.sent) options.sent(n);
  }
  if (co_await feed.hasExtraBytes())
    co_return makeError(ErrorCode::kIntegrity, what + ": the source sent more bytes than the manifest says");
  const auto got = hash.hexDigest();
  if (got != desc.digest.hex())
    co_return makeError(ErrorCode::kIntegrity, what + " from " + feed.origin() + ": its bytes hash to sha256:" + got +
                                                   "; the source's copy is corrupt, nothing was stored");
  co_return out.commitAs(blobPath(desc.digest));
}

Task<Status> LayoutEndpoint::finish(CancelTokenPtr) {
  if (archive_.empty() || tar_) co_return Status{};
  co_return pack();
}

// The staging layout into <FILE>.partial, renamed to FILE once flushed; then the staging goes.
Status LayoutEndpoint::pack() const {
  auto partial = archive_;
  partial += ".partial";
  auto tar = TarWriter::create(partial);
  if (!tar) return tar.error();
  auto fail = [&](const Error& e) {
    std::error_code ec;
    fs::remove(partial, ec);
    return e.context("pack " + archive_.string());
  };
  for (const char* name : {"oci-layout", "index.json", kPartialFile}) {
    std::error_code missing;
    if (std::string_view(name) == kPartialFile && !fs::exists(dir_ / name, missing)) continue;
    if (auto st = tar->addFile(name, dir_ / name); !st) return fail(st.error());
  }
  for (const char* name : {"blobs/", "blobs/sha256/"})
    if (auto st = tar->addDirectory(name); !st) return fail(st.error());
  std::error_code ec;
  std::vector<std::string> blobs;
  for (const auto& entry : fs::directory_iterator(dir_ / "blobs" / "sha256", ec)) {
    const auto file = entry.path().filename().string();
    if (!file.starts_with(".")) blobs.push_back(file);  // .partial-*: writes that never completed
  }
  if (ec) return fail(makeError(ErrorCode::kIo, "listing " + dir_.string() + ": " + ec.message()));
  std::sort(blobs.begin(), blobs.end());  // the same layout gives the same archive
  for (const auto& hex : blobs)
    if (auto st = tar->addFile("blobs/sha256/" + hex, dir_ / "blobs" / "sha256" / hex); !st) return fail(st.error());
  if (auto st = tar->finish(); !st) return fail(st.error());
  fs::rename(partial, archive_, ec);
  if (ec) return fail(makeError(ErrorCode::kIo, "renaming " + partial.string() + ": " + ec.message()));
  fs::remove_all(dir_, ec);  // the archive is whole; the staging copy is no longer needed
  return {};
}

}  // namespace autonomy::endpoint
