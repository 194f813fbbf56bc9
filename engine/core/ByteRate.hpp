#pragma once
// Byte sizes and rates as operators write them: "4096", "64k", "1.5MB", "10MiB", "2GiB"; K/M/G
// are powers of 1000, Ki/Mi/Gi of 1024; a trailing "B" and, for rates, "/s" are optional
// ("10MiB/s"). Used by --limit-rate, the config's max_bandwidth and linkem.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy {

Result<std::uint64_t> parseByteSize(std::string_view text);
Result<std::uint64_t> parseRate(std::string_view text);
// "10 MiB/s", "512 KiB/s", "900 B/s": for logs and the API.
std::string formatRate(std::uint64_t bytesPerSecond);

}  // namespace autonomy
