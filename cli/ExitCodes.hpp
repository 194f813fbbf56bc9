#pragma once

namespace autonomy::cli {
inline constexpr int kExitOk = 0;             // every repo ok
inline constexpr int kExitFailed = 1;         // one or more repos failed
inline constexpr int kExitUsage = 2;          // usage or configuration error
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM stopped the run
}  // namespace autonomy::cli
