#pragma once
// HTTP requests and responses as plain values: the routes are functions from one to the
// other, so they are tested without sockets and the Beast server stays a thin adapter.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/Error.hpp"

namespace autonomy::api {

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;  // 1 MiB

struct ApiRequest {
  std::string method;                          // "GET"
  std::string target;                          // "/v1/jobs?state=running"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(std::string_view name) const;  // "" when absent
};

struct ApiResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route;        // the matched pattern ("/v1/jobs/{id}"), for metrics and logs
  std::string streamJobId;  // set: the server streams this job's events (server-sent events)

  std::string header(std::string_view name) const;
};

// {"error": {"code", "message"[, "field"]}} with the given status.
ApiResponse errorResponse(int status, std::string_view code, std::string_view message, std::string_view field = {});

// One table from the project's error categories to HTTP (DESIGN.md "Errors").
int httpStatusFor(ErrorCode code);
std::string_view httpErrorCodeFor(ErrorCode code);
ApiResponse errorResponse(const Error& error);

}  // namespace autonomy::api
