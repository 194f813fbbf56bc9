#pragma once
// The tar of an OCI archive: written member by member with a fixed buffer (a blob of any size
// costs 1 MiB of memory), read by scanning headers and seeking past contents (nothing is
// extracted). ustar headers; sizes past 8 GiB in base-256; pax `path`/`size` records are read.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "engine/core/Error.hpp"

namespace autonomy::endpoint {

class TarWriter {
 public:
  // Writes to `path` (created, truncated).
  static Result<TarWriter> create(const std::filesystem::path& path);
  TarWriter(TarWriter&& o) noexcept;
  TarWriter& operator=(TarWriter&&) = delete;
  TarWriter(const TarWriter&) = delete;
  ~TarWriter();

  Status addDirectory(const std::string& name);
  // The file's bytes under `name`.
  Status addFile(const std::string& name, const std::filesystem::path& from);
  // The end-of-archive blocks, then flushed to the medium.
  Status finish();

 private:
  TarWriter(std::FILE* f, std::filesystem::path path) : f_(f), path_(std::move(path)) {}
  Status header(const std::string& name, std::uint64_t size, char type);
  Status write(const char* data, std::size_t n);

  std::FILE* f_;
  std::filesystem::path path_;
};

// Where each regular member's bytes sit in the archive file.
struct TarMember {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// Scans the archive's headers. A truncated archive (a member or the end-of-archive marker
// missing), a header whose checksum fails, or an unsafe name is a kIntegrity error naming the
// archive and the byte where it went wrong.
Result<std::map<std::string, TarMember>> scanTar(const std::filesystem::path& path);

}  // namespace autonomy::endpoint
