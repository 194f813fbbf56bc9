#include "engine/endpoint/Tar.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace autonomy::endpoint {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kCopyBuffer = 1u << 20;
constexpr std::size_t kMaxPaxBytes = 64u << 10;
constexpr std::size_t kMaxMembers = 1u << 20;

std::string sysError() { return std::strerror(errno); }

void putOctal(char* field, std::size_t width, std::uint64_t value) {
  // width-1 digits and a NUL, as ustar writes them.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
}

std::uint64_t checksumOf(const char* block) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  return sum;
}

// An octal field (spaces and NULs around the digits), or base-256 when its top bit is set.
std::optional<std::uint64_t> numberField(const char* field, std::size_t width) {
  const auto first = static_cast<unsigned char>(field[0]);
  if (first & 0x80) {
    std::uint64_t v = first & 0x7f;
    for (std::size_t i = 1; i < width; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < width && (field[i] == ' ' || field[i] == '\0')) ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<std::uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < width; ++i)
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  return any ? std::optional(v) : std::optional<std::uint64_t>(0);
}

std::string textField(const char* field, std::size_t width) { return std::string(field, strnlen(field, width)); }

// Names inside an OCI archive are relative and stay inside it.
bool safeName(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto slash = name.find('/', start);
    const auto part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

// "len key=value\n" records; only path and size matter here.
void parsePax(const std::string& body, std::string* path, std::uint64_t* size, bool* hasSize) {
  std::size_t at = 0;
  while (at < body.size()) {
    const auto space = body.find(' ', at);
    if (space == std::string::npos) return;
    std::size_t len = 0;
    for (std::size_t i = at; i < space; ++i) {
      if (body[i] < '0' || body[i] > '9' || len > body.size()) return;
      len = len * 10 + static_cast<std::size_t>(body[i] - '0');
    }
    if (len == 0 || at + len > body.size() || body[at + len - 1] != '\n') return;
    const auto record = body.substr(space + 1, at + len - space - 2);
    const auto eq = record.find('=');
    if (eq != std::string::npos) {
      const auto key = record.substr(0, eq);
      const auto value = record.substr(eq + 1);
      if (key == "path") *path = value;
      if (key == "size") {
        std::uint64_t v = 0;
        bool ok = !value.empty();
        for (char c : value) {
          if (c < '0' || c > '9' || (v >> 59)) {
            ok = false;
            break;
          }
          v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (ok) {
          *size = v;
          *hasSize = true;
        }
      }
    }
    at += len;
  }
}

}  // namespace

Result<TarWriter> TarWriter::create(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return makeError(ErrorCode::kIo, "cannot write " + path.string() + ": " + sysError());
  return TarWriter(f, path);
}

TarWriter::TarWriter(TarWriter&& o) noexcept : f_(std::exchange(o.f_, nullptr)), path_(std::move(o.path_)) {}

TarWriter::~TarWriter() {
  if (f_) std::fclose(f_);
}

Status TarWriter::write(const char* data, std::size_t n) {
  if (std::fwrite(data, 1, n, f_) != n)
    return makeError(ErrorCode::kIo, "writing " + path_.string() + ": " + sysError() + " (is the medium full?)");
  return {};
}

Status TarWriter::header(const std::string& name, std::uint64_t size, char type) {
  if (name.size() > 99) return makeError(ErrorCode::kInternal, "tar member name too long: " + name);
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());
  putOctal(h.data() + 100, 8, type == '5' ? 0755 : 0644);
  putOctal(h.data() + 108, 8, 0);
  putOctal(h.data() + 116, 8, 0);
  if (size < (1ull << 33)) {
    putOctal(h.data() + 124, 12, size);
  } else {  // base-256: the top bit marks it
    h[124] = static_cast<char>(0x80);
    for (int i = 11; i >= 1; --i, size >>= 8) h[124 + i] = static_cast<char>(size & 0xff);
  }
  putOctal(h.data() + 136, 12, 0);  // mtime 0: the same content gives the same archive
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  std::snprintf(h.data() + 148, 8, "%06llo", static_cast<unsigned long long>(checksumOf(h.data())));
  h[155] = ' ';
  return write(h.data(), h.size());
}

Status TarWriter::addDirectory(const std::string& name) { return header(name, 0, '5'); }

Status TarWriter::addFile(const std::string& name, const fs::path& from) {
  std::error_code ec;
  const auto size = fs::file_size(from, ec);
  if (ec) return makeError(ErrorCode::kIo, "cannot read " + from.string() + ": " + ec.message());
  std::FILE* in = std::fopen(from.c_str(), "rb");
  if (!in) return makeError(ErrorCode::kIo, "cannot read " + from.string() + ": " + sysError());
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{in};
  if (auto st = header(name, size, '0'); !st) return st;
  std::vector<char> buf(kCopyBuffer);
  std::uint64_t left = size;
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left));
    if (std::fread(buf.data(), 1, want, in) != want)
      return makeError(ErrorCode::kIo, from.string() + " changed size while it was archived");
    if (auto st = write(buf.data(), want); !st) return st;
    left -= want;
  }
  const std::size_t pad = (kBlock - size % kBlock) % kBlock;
  const std::array<char, kBlock> zeros{};
  return write(zeros.data(), pad);
}

Status TarWriter::finish() {
  const std::array<char, 2 * kBlock> zeros{};
  if (auto st = write(zeros.data(), zeros.size()); !st) return st;
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0)
    return makeError(ErrorCode::kIo, "flushing " + path_.string() + ": " + sysError());
  std::fclose(std::exchange(f_, nullptr));
  return {};
}

Result<std::map<std::string, TarMember>> scanTar(const fs::path& path) {
  const std::string where = path.string();
  std::error_code ec;
  const auto fileSize = fs::file_size(path, ec);
  if (ec) return makeError(ErrorCode::kUsage, "cannot read archive " + where + ": " + ec.message());
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return makeError(ErrorCode::kUsage, "cannot read archive " + where + ": " + sysError());
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  auto corrupt = [&](std::uint64_t at, const std::string& what) {
    return makeError(ErrorCode::kIntegrity, "archive " + where + " at byte " + std::to_string(at) + ": " + what +
                                                "; the archive is damaged or was not written whole (export it again)");
  };
  std::map<std::string, TarMember> members;
  std::uint64_t at = 0;
  std::string paxPath;
  std::uint64_t paxSize = 0;
  bool hasPaxSize = false;
  std::array<char, kBlock> h{};
  while (true) {
    if (at + kBlock > fileSize) return corrupt(at, "it ends before its end-of-archive marker (truncated)");
    if (::fseeko(f, static_cast<off_t>(at), SEEK_SET) != 0 || std::fread(h.data(), 1, kBlock, f) != kBlock)
      return corrupt(at, "unreadable header");
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == 0; })) break;  // end of archive
    const auto sum = numberField(h.data() + 148, 8);
    if (!sum || *sum != checksumOf(h.data())) return corrupt(at, "a header whose checksum does not match");
    auto size = numberField(h.data() + 124, 12);
    if (!size) return corrupt(at, "a header with an unreadable size");
    const char type = h[156];
    std::string name = textField(h.data(), 100);
    if (std::memcmp(h.data() + 257, "ustar", 5) == 0) {
      const auto prefix = textField(h.data() + 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    const std::uint64_t content = at + kBlock;
    if (type == 'x' || type == 'g') {
      if (*size > kMaxPaxBytes) return corrupt(at, "an oversized pax header");
      if (content + *size > fileSize) return corrupt(at, "a pax header cut short (truncated)");
      std::string body(static_cast<std::size_t>(*size), '\0');
      if (std::fread(body.data(), 1, body.size(), f) != body.size()) return corrupt(at, "unreadable pax header");
      if (type == 'x') parsePax(body, &paxPath, &paxSize, &hasPaxSize);
    } else {
      if (!paxPath.empty()) name = paxPath;
      if (hasPaxSize) size = paxSize;
      paxPath.clear();
      hasPaxSize = false;
      while (name.starts_with("./")) name.erase(0, 2);
      if (content + *size > fileSize)
        return corrupt(at, "member " + name + " needs " + std::to_string(*size) + " bytes but the file ends after " +
                               std::to_string(fileSize - content) + " (truncated)");
      if ((type == '0' || type == '\0') && !name.empty()) {
        if (!safeName(name)) return corrupt(at, "member name " + name + " leaves the archive");
        if (members.size() >= kMaxMembers) return corrupt(at, "more members than an OCI archive has");
        members[name] = TarMember{content, *size};
      }
    }
    at = content + (*size + kBlock - 1) / kBlock * kBlock;
  }
  return members;
}

}  // namespace autonomy::endpoint
