#include "engine/core/Error.hpp"

namespace autonomy {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kRegistry:
      return "registry";
    case ErrorCode::kIntegrity:
      return "integrity";
    case ErrorCode::kVerification:
      return "verification";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace autonomy
