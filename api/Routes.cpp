#include "api/Routes.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "api/JobJson.hpp"
#include "api/JobRequest.hpp"
#include "api/TriggerRequest.hpp"

namespace autonomy::api {

using nlohmann::json;

namespace {

ApiResponse jsonResponse(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  // Registry error text may carry bytes that are not UTF-8: replaced, never an exception.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

ApiResponse methodNotAllowed(const char* allow) {
  auto r = errorResponse(405, "method_not_allowed", std::string("use ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

ApiResponse notFoundJob(const std::string& id) { return errorResponse(404, "not_found", "no job " + id); }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hexValue(s[i + 1]);
      const int lo = hexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plusIsSpace && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<Router::Target> Router::parseTarget(const std::string& target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  const auto q = target.find('?');
  const std::string_view path = std::string_view(target).substr(0, q);
  Target t;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      auto seg = percentDecode(path.substr(start, end - start), false);
      if (!seg) return std::nullopt;
      t.segments.push_back(std::move(*seg));
    }
    start = end + 1;
  }
  if (q != std::string::npos) {
    std::string_view query = std::string_view(target).substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto part = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (part.empty()) continue;
      auto eq = part.find('=');
      auto key = percentDecode(part.substr(0, eq), true);
      auto value = percentDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      t.query.emplace_back(std::move(*key), std::move(*value));
    }
  }
  return t;
}

bool Router::authorized(const ApiRequest& request) const {
  const auto it = request.headers.find("authorization");
  return auth_ && it != request.headers.end() && auth_->accepts(it->second);
}

ApiResponse Router::handle(const ApiRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  ApiResponse response;
  auto target = parseTarget(request.target);
  if (!target)
    response = errorResponse(400, "invalid_request", "the request target is not a valid path");
  else
    response = dispatch(request, *target, route);
  response.route = route;
  if (response.streamJobId.empty())
    metrics_.observe(route, response.status,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return response;
}

ApiResponse Router::dispatch(const ApiRequest& request, const Target& target, std::string& route) {
  const auto& s = target.segments;
  const bool get = request.method == "GET";
  if (s.size() == 1 && (s[0] == "healthz" || s[0] == "readyz" || s[0] == "metrics")) {
    route = "/" + s[0];
    if (!get) return methodNotAllowed("GET");
    if (s[0] == "healthz") return jsonResponse(200, {{"status", "ok"}});
    if (s[0] == "readyz") {
      if (backend_.ready()) return jsonResponse(200, {{"status", "ready"}});
      return errorResponse(503, "not_ready", "the daemon is starting or shutting down");
    }
    return metricsPage();
  }
  if (!s.empty() && s[0] == "v1") {
    route = "/v1";
    if (!auth_ || !auth_->accepts(request.header("authorization"))) {
      auto r = errorResponse(401, "unauthorized",
                             auth_ ? "send the API token: Authorization: Bearer <token from api.token_file>"
                                   : "no API token is configured (api.token_file); the API is closed");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"autonomy-syncd\"");
      return r;
    }
    if (request.body.size() > kMaxBodyBytes)
      return errorResponse(413, "payload_too_large", "request bodies are limited to 1 MiB");
    return dispatchV1(request, target, route);
  }
  return errorResponse(404, "not_found", "no such endpoint: " + request.target.substr(0, request.target.find('?')));
}

ApiResponse Router::dispatchV1(const ApiRequest& request, const Target& target, std::string& route) {
  const auto& s = target.segments;
  const std::string& m = request.method;
  if (s.size() == 2 && s[1] == "jobs") {
    route = "/v1/jobs";
    if (m == "GET") return listJobs(target);
    if (m == "POST") return submitJob(request);
    return methodNotAllowed("GET, POST");
  }
  if (s.size() >= 3 && s.size() <= 4 && s[1] == "jobs") {
    const std::string& id = s[2];
    const std::string action = s.size() == 4 ? s[3] : "";
    if (action.empty()) {
      route = "/v1/jobs/{id}";
      if (m != "GET") return methodNotAllowed("GET");
      return getJob(id);
    }
    if (action == "cancel") {
      route = "/v1/jobs/{id}/cancel";
      if (m != "POST") return methodNotAllowed("POST");
      return cancelJob(id);
    }
    if (action == "catalog") {
      route = "/v1/jobs/{id}/catalog";
      if (m != "GET") return methodNotAllowed("GET");
      return getCatalog(id);
    }
    if (action == "events") {
      route = "/v1/jobs/{id}/events";
      if (m != "GET") return methodNotAllowed("GET");
      return openEvents(id);
    }
  }
  if (s.size() == 2 && s[1] == "schedules") {
    route = "/v1/schedules";
    if (m != "GET") return methodNotAllowed("GET");
    return listSchedules();
  }
  if (s.size() == 4 && s[1] == "schedules" && s[3] == "run") {
    route = "/v1/schedules/{name}/run";
    if (m != "POST") return methodNotAllowed("POST");
    return runSchedule(s[2]);
  }
  if (s.size() == 4 && s[1] == "schedules" && s[3] == "trigger") {
    route = "/v1/schedules/{name}/trigger";
    if (m != "POST") return methodNotAllowed("POST");
    return triggerSchedule(s[2], request);
  }
  return errorResponse(404, "not_found", "no such endpoint: " + request.target.substr(0, request.target.find('?')));
}

ApiResponse Router::submitJob(const ApiRequest& request) {
  auto spec = parseJobRequest(request.body);
  if (!spec) return errorResponse(spec.error());
  const auto key = request.header("idempotency-key");
  if (!key.empty()) {
    if (auto st = validateIdempotencyKey(key); !st) return errorResponse(st.error());
    spec->idempotencyKey = key;
  }
  if (!backend_.ready()) return errorResponse(503, "not_ready", "the daemon is shutting down; retry later");
  return submitted(backend_.submitJob(std::move(*spec)));
}

ApiResponse Router::submitted(const Result<jobs::Submitted>& result) {
  if (!result) return errorResponse(result.error());
  if (result->status == jobs::SubmitStatus::kKeyConflict)
    return errorResponse(409, "idempotency_conflict",
                         "this Idempotency-Key was used for a different request (job " + result->job.id + ")");
  auto r = jsonResponse(202, jobToJson(result->job));
  r.headers.emplace_back("Location", "/v1/jobs/" + result->job.id);
  if (result->status == jobs::SubmitStatus::kReplayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

ApiResponse Router::listJobs(const Target& target) {
  jobs::JobFilter filter;
  filter.limit = kDefaultPageSize;
  for (const auto& [key, value] : target.query) {
    if (key == "state") {
      if (!jobs::isJobState(value))
        return errorResponse(
            400, "invalid_request",
            "state: \"" + value + "\" is not one of queued, running, succeeded, partial, failed, cancelled", "state");
      filter.state = value;
    } else if (key == "limit") {
      std::size_t n = 0;
      const bool digits =
          !value.empty() && value.size() <= 4 && value.find_first_not_of("0123456789") == std::string::npos;
      if (digits) n = std::stoul(value);
      if (!digits || n < 1 || n > kMaxPageSize)
        return errorResponse(400, "invalid_request", "limit: must be a number from 1 to 500", "limit");
      filter.limit = n;
    } else if (key == "after") {
      if (!jobs::isValidJobId(value))
        return errorResponse(400, "invalid_request", "after: must be a job id from a previous page", "after");
      filter.after = value;
    } else {
      return errorResponse(400, "invalid_request", key + ": unknown query parameter (state, limit, after)", key);
    }
  }
  // The page's job rows first (cheap); each job is then rendered, or taken as rendered when it is
  // finished and was rendered before (RenderedJobs).
  filter.withRepos = false;
  auto list = backend_.listJobs(filter);
  if (!list) {
    if (list.error().code == ErrorCode::kNotFound)
      return errorResponse(400, "invalid_request", "after: " + list.error().message, "after");
    return errorResponse(list.error());
  }
  std::string body = "{\"jobs\":[";
  bool first = true;
  for (const auto& head : *list) {
    std::string fresh;
    const std::string* text = jobs::isFinishedJobState(head.state) ? rendered_.find(head.id) : nullptr;
    if (!text) {
      auto job = backend_.findJob(head.id);
      if (!job) return errorResponse(job.error());
      if (!job->has_value()) continue;  // pruned between the two reads
      fresh = jobToJson(**job).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (jobs::isFinishedJobState((*job)->state)) {
        rendered_.put(head.id, fresh);
        text = rendered_.find(head.id);
      }
      if (!text) text = &fresh;
    }
    body += first ? "" : ",";
    body += *text;
    first = false;
  }
  const json next = list->size() == filter.limit && !list->empty() ? json(list->back().id) : json(nullptr);
  ApiResponse r;
  r.status = 200;
  r.body = body + "],\"next_after\":" + next.dump() + "}\n";
  return r;
}

ApiResponse Router::getJob(const std::string& id) {
  if (!jobs::isValidJobId(id)) return notFoundJob(id);
  auto job = backend_.findJob(id);
  if (!job) return errorResponse(job.error());
  if (!job->has_value()) return notFoundJob(id);
  return jsonResponse(200, jobToJson(**job));
}

ApiResponse Router::cancelJob(const std::string& id) {
  if (!jobs::isValidJobId(id)) return notFoundJob(id);
  auto c = backend_.cancelJob(id);
  if (!c) {
    if (c.error().code == ErrorCode::kNotFound) return notFoundJob(id);
    return errorResponse(c.error());
  }
  if (c->status == jobs::CancelStatus::kAlreadyFinished)
    return errorResponse(409, "already_finished", "job " + id + " already finished (" + c->job.state + ")");
  return jsonResponse(c->status == jobs::CancelStatus::kCancelling ? 202 : 200, jobToJson(c->job));
}

ApiResponse Router::getCatalog(const std::string& id) {
  if (!jobs::isValidJobId(id)) return notFoundJob(id);
  auto job = backend_.findJob(id);
  if (!job) return errorResponse(job.error());
  if (!job->has_value()) return notFoundJob(id);
  if (!jobs::isFinishedJobState((**job).state))
    return errorResponse(409, "not_finished",
                         "job " + id + " is " + (**job).state + "; its catalog is written when it finishes");
  std::ifstream in(backend_.jobDir(id) / "catalog.json");
  if (!in) return errorResponse(404, "not_found", "job " + id + " has no catalog.json");
  std::stringstream buf;
  buf << in.rdbuf();
  ApiResponse r;
  r.body = buf.str();
  return r;
}

ApiResponse Router::openEvents(const std::string& id) {
  if (!jobs::isValidJobId(id)) return notFoundJob(id);
  auto job = backend_.findJob(id);
  if (!job) return errorResponse(job.error());
  if (!job->has_value()) return notFoundJob(id);
  ApiResponse r;
  r.contentType = "text/event-stream";
  r.streamJobId = id;
  return r;
}

ApiResponse Router::listSchedules() {
  json list = json::array();
  for (const auto& s : backend_.schedules()) list.push_back(scheduleToJson(s));
  return jsonResponse(200, {{"schedules", list}});
}

ApiResponse Router::runSchedule(const std::string& name) {
  if (!backend_.ready()) return errorResponse(503, "not_ready", "the daemon is shutting down; retry later");
  auto r = backend_.runSchedule(name);
  if (!r && r.error().code == ErrorCode::kNotFound) return errorResponse(404, "not_found", "no schedule " + name);
  return submitted(r);
}

ApiResponse Router::triggerSchedule(const std::string& name, const ApiRequest& request) {
  auto from = parseTriggerBody(request.body);
  if (!from) return errorResponse(from.error());
  if (!backend_.ready()) return errorResponse(503, "not_ready", "the daemon is shutting down; retry later");
  auto r = backend_.triggerSchedule(name, *from);
  if (!r && r.error().code == ErrorCode::kNotFound) return errorResponse(404, "not_found", "no schedule " + name);
  if (!r) return errorResponse(r.error());
  if (r->outcome == jobs::TriggerOutcome::kDisabled)
    return errorResponse(409, "schedule_disabled",
                         "schedule " + name +
                             " is disabled (enabled: false); triggers start nothing until it is "
                             "enabled, and POST /v1/schedules/" +
                             name + "/run runs it once");
  json body{{"schedule", name}, {"outcome", jobs::triggerOutcomeName(r->outcome)}};
  if (r->job) body["job"] = jobToJson(*r->job);
  auto response = jsonResponse(202, body);
  if (r->job) response.headers.emplace_back("Location", "/v1/jobs/" + r->job->id);
  return response;
}

ApiResponse Router::metricsPage() {
  ApiResponse r;
  r.contentType = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.render(backend_.metrics());
  return r;
}

}  // namespace autonomy::api
