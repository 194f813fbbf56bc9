#include "api/ApiTypes.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace autonomy::api {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

std::string ApiRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string ApiResponse::header(std::string_view name) const {
  const auto wanted = lower(name);
  for (const auto& [k, v] : headers)
    if (lower(k) == wanted) return v;
  return {};
}

ApiResponse errorResponse(int status, std::string_view code, std::string_view message, std::string_view field) {
  nlohmann::json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  ApiResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

int httpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
    case ErrorCode::kConfig:
      return 400;
    case ErrorCode::kAuth:
      return 401;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kCancelled:
      return 409;
    case ErrorCode::kIntegrity:
    case ErrorCode::kVerification:
      return 422;
    case ErrorCode::kNetwork:
    case ErrorCode::kRegistry:
      return 502;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view httpErrorCodeFor(ErrorCode code) {
  switch (httpStatusFor(code)) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthorized";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 422:
      return "unprocessable";
    case 502:
      return "bad_gateway";
    default:
      return "internal";
  }
}

ApiResponse errorResponse(const Error& error) {
  return errorResponse(httpStatusFor(error.code), httpErrorCodeFor(error.code), error.message, error.field);
}

}  // namespace autonomy::api
