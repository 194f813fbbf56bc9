#pragma once
// The REST API as a function: request in, response out (SPEC §5). Authentication, schema
// checks, status codes and JSON shapes all live here; sockets and streaming live in HttpServer.
#include <optional>
#include <string>
#include <vector>

#include "api/ApiBackend.hpp"
#include "api/ApiTypes.hpp"
#include "api/BearerAuth.hpp"
#include "api/HttpMetrics.hpp"
#include "api/RenderedJobs.hpp"

namespace autonomy::api {

inline constexpr std::size_t kDefaultPageSize = 50;
inline constexpr std::size_t kMaxPageSize = 500;

class Router {
 public:
  // Without `auth`, every /v1 call is refused (fail closed).
  Router(ApiBackend& backend, std::optional<BearerAuth> auth) : backend_(backend), auth_(std::move(auth)) {}

  // Handles the request and records its latency under the matched route.
  ApiResponse handle(const ApiRequest& request);
  // The request carries the API token (the server sheds connections that never did first).
  bool authorized(const ApiRequest& request) const;
  // For responses the server produces itself (413 before a body is read, stream ends).
  void observe(const std::string& route, int status, double seconds) { metrics_.observe(route, status, seconds); }

 private:
  struct Target {
    std::vector<std::string> segments;                       // decoded path segments
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  };
  static std::optional<Target> parseTarget(const std::string& target);

  ApiResponse dispatch(const ApiRequest& request, const Target& target, std::string& route);
  ApiResponse dispatchV1(const ApiRequest& request, const Target& target, std::string& route);
  ApiResponse submitJob(const ApiRequest& request);
  ApiResponse listJobs(const Target& target);
  ApiResponse getJob(const std::string& id);
  ApiResponse cancelJob(const std::string& id);
  ApiResponse getCatalog(const std::string& id);
  ApiResponse openEvents(const std::string& id);
  ApiResponse listSchedules();
  ApiResponse runSchedule(const std::string& name);
  ApiResponse triggerSchedule(const std::string& name, const ApiRequest& request);
  ApiResponse submitted(const Result<jobs::Submitted>& result);
  ApiResponse metricsPage();

  ApiBackend& backend_;
  std::optional<BearerAuth> auth_;
  HttpMetrics metrics_;
  RenderedJobs rendered_;  // finished jobs' JSON for listings
};

}  // namespace autonomy::api
