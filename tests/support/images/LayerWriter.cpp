#include "tests/support/images/LayerWriter.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <random>

#include "engine/core/Sha256.hpp"

namespace autonomy::testing {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kChunk = 64 * 1024;  // a multiple of 8, so the byte stream ignores chunking

// mt19937_64's output sequence is fixed by the standard (unlike the distributions), so the bytes
// are the same on every compiler and library.
class SeededStream {
 public:
  explicit SeededStream(std::uint64_t seed) : rng_(seed) {}
  void fill(char* out, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
      std::uint64_t word = rng_();
      for (int b = 0; b < 8 && i < n; ++b, ++i) {
        out[i] = static_cast<char>(static_cast<unsigned char>(word & 0xffU));
        word >>= 8;
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

void putOctal(std::string& header, std::size_t offset, std::size_t width, std::uint64_t value) {
  // width-1 octal digits, zero padded, then NUL (ustar numeric fields)
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value != 0; value >>= 3) {
    digits[i] = static_cast<char>('0' + (value & 7U));
  }
  header.replace(offset, width - 1, digits);
  header[offset + width - 1] = '\0';
}

// Where the tar bytes go: the sha256 of the tar (diff_id) plus, for gzip layers, zlib, whose
// output is hashed and written; for plain tar layers the tar bytes are the blob.
class LayerSink {
 public:
  LayerSink(std::ofstream& out, bool gzip, int level) : out_(out), gzip_(gzip), level_(level) {}
  ~LayerSink() {
    if (zInit_) deflateEnd(&z_);
  }
  LayerSink(const LayerSink&) = delete;
  LayerSink& operator=(const LayerSink&) = delete;

  Status start() {
    if (!gzip_) return {};
    // 15 + 16: gzip wrapper with a zeroed header (mtime 0), so output depends on input only.
    if (deflateInit2(&z_, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return makeError(ErrorCode::kInternal, "zlib deflateInit2 failed");
    }
    zInit_ = true;
    return {};
  }

  Status write(const char* data, std::size_t n) {
    tarHash_.update(data, n);
    if (!gzip_) return emit(data, n);
    return deflateChunk(data, n, Z_NO_FLUSH);
  }

  Status finish() {
    if (gzip_) {
      if (auto s = deflateChunk(nullptr, 0, Z_FINISH); !s) return s;
    }
    tarHex_ = tarHash_.hexDigest();
    blobHex_ = gzip_ ? blobHash_.hexDigest() : tarHex_;
    return {};
  }
  const std::string& tarHex() const { return tarHex_; }
  const std::string& blobHex() const { return blobHex_; }
  std::uint64_t blobSize() const { return blobSize_; }

 private:
  Status deflateChunk(const char* data, std::size_t n, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z_.avail_in = static_cast<uInt>(n);
    std::array<char, kChunk> buffer{};
    int rc = Z_OK;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z_.avail_out = static_cast<uInt>(buffer.size());
      rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return makeError(ErrorCode::kInternal, "zlib deflate failed");
      const std::size_t produced = buffer.size() - z_.avail_out;
      blobHash_.update(buffer.data(), produced);
      if (auto s = emit(buffer.data(), produced); !s) return s;
    } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return {};
  }

  Status emit(const char* data, std::size_t n) {
    blobSize_ += n;
    out_.write(data, static_cast<std::streamsize>(n));
    if (!out_) return makeError(ErrorCode::kIo, "write layer: failed (disk full?)");
    return {};
  }

  std::ofstream& out_;
  bool gzip_;
  int level_;
  bool zInit_ = false;
  z_stream z_{};
  Sha256 tarHash_;
  Sha256 blobHash_;
  std::string tarHex_;
  std::string blobHex_;
  std::uint64_t blobSize_ = 0;
};

Status streamTar(LayerSink& sink, const std::string& name, std::uint64_t size, std::uint64_t seed) {
  const std::string header = ustarHeader(name, size);
  if (auto s = sink.write(header.data(), header.size()); !s) return s;
  SeededStream stream(seed);
  std::array<char, kChunk> buffer{};
  for (std::uint64_t left = size; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    stream.fill(buffer.data(), n);
    if (auto s = sink.write(buffer.data(), n); !s) return s;
    left -= n;
  }
  // Pad the file to a block, then the two zero blocks that end an archive.
  const std::size_t pad = static_cast<std::size_t>((kBlock - size % kBlock) % kBlock) + 2 * kBlock;
  const std::string zeros(pad, '\0');
  return sink.write(zeros.data(), zeros.size());
}

}  // namespace

std::string seededBytes(std::uint64_t size, std::uint64_t seed) {
  std::string bytes(static_cast<std::size_t>(size), '\0');
  SeededStream stream(seed);
  for (std::size_t off = 0; off < bytes.size(); off += kChunk) {
    stream.fill(bytes.data() + off, std::min(kChunk, bytes.size() - off));
  }
  return bytes;
}

std::string ustarHeader(const std::string& name, std::uint64_t size) {
  std::string header(kBlock, '\0');
  header.replace(0, std::min<std::size_t>(name.size(), 99), name.substr(0, 99));
  putOctal(header, 100, 8, 0644);  // mode
  putOctal(header, 108, 8, 0);     // uid
  putOctal(header, 116, 8, 0);     // gid
  putOctal(header, 124, 12, size);
  putOctal(header, 136, 12, 0);  // mtime: fixed, so archives are reproducible
  header[156] = '0';             // regular file
  header.replace(257, 6, std::string("ustar\0", 6));
  header.replace(263, 2, "00");
  header.replace(148, 8, "        ");  // checksum is computed with its own field as spaces
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  putOctal(header, 148, 7, sum);  // six digits, NUL, then the trailing space already there
  return header;
}

Result<BuiltLayer> writeLayer(OciLayout& layout, const LayerSpec& spec) {
  if (spec.gzipLevel < 0 || spec.gzipLevel > 9) {
    return makeError(ErrorCode::kUsage, "write layer: gzipLevel " + std::to_string(spec.gzipLevel) + " is not 0-9");
  }
  const std::string name = spec.fileName.empty()
                               ? "data/" + std::to_string(spec.seed) + "-" + std::to_string(spec.size) + ".bin"
                               : spec.fileName;
  const auto temp = layout.newTempPath();
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) return makeError(ErrorCode::kIo, "write layer " + temp.string() + ": cannot create");
  LayerSink sink(out, spec.gzip, spec.gzipLevel);
  Status status = sink.start();
  if (status) status = streamTar(sink, name, spec.size, spec.seed);
  if (status) status = sink.finish();
  out.close();
  if (status && !out) status = makeError(ErrorCode::kIo, "write layer " + temp.string() + ": close failed");
  if (!status) {
    std::remove(temp.c_str());
    return status.error();
  }
  BuiltLayer layer;
  layer.diffId = oci::Digest::fromSha256Hex(sink.tarHex());
  layer.blob = BlobRef{oci::Digest::fromSha256Hex(sink.blobHex()), sink.blobSize(),
                       std::string(spec.gzip ? kOciLayerGzip : kOciLayerTar)};
  if (layout.hasBlob(layer.blob.digest)) {
    std::remove(temp.c_str());
  } else if (auto s = layout.adoptBlob(temp, layer.blob.digest); !s) {
    return s.error();
  }
  return layer;
}

}  // namespace autonomy::testing
