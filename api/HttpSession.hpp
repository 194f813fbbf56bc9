#pragma once
// One HTTP connection, for any stream type (TCP, TLS over TCP, unix socket): read requests
// under the body limit, hand them to the Router, write the answers, and stream server-sent
// events when the Router asks for it. Included by HttpServer.cpp only (Beast stays there).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "api/Routes.hpp"
#include "jobs/EventHub.hpp"

namespace autonomy::api::session {

namespace beast = boost::beast;
namespace http = boost::beast::http;
inline constexpr auto kUse = boost::asio::as_tuple(boost::asio::use_awaitable);

// What the server knows of a connection, to choose which to shed when it is full.
struct SessionState {
  enum class Phase { kWaiting, kBusy, kStreaming };
  Phase phase = Phase::kWaiting;  // waiting: idle keep-alive, or a request header still arriving
  bool authenticated = false;     // a request on it carried the API token
};

struct SessionEnv {
  Router* router = nullptr;
  jobs::EventHub* events = nullptr;
  std::chrono::seconds headerTimeout{10};  // the next request's header, idle keep-alive included
  std::chrono::seconds bodyTimeout{30};
  std::chrono::seconds writeTimeout{30};  // an answer or event the client does not read
  std::chrono::seconds sseKeepAlive{15};
  std::size_t maxRequests = 1000;        // per connection, then Connection: close
  std::chrono::seconds maxAge{10 * 60};  // keep-alive lifetime
  std::string serverName;
  const bool* stopping = nullptr;
  SessionState* state = nullptr;
};

ApiRequest toApiRequest(const http::request<http::string_body>& req);
http::response<http::string_body> toHttpResponse(const ApiResponse& r, unsigned version, bool keepAlive,
                                                 const std::string& serverName);
std::string sseFrame(const jobs::JobEvent& e);
std::string sseHeader(const std::string& serverName);
std::string snapshotFrame(const ApiResponse& job);

template <typename Stream>
void setTimeout(Stream& stream, std::chrono::seconds t) {
  beast::get_lowest_layer(stream).expires_after(t);
}

template <typename Stream>
void clearTimeout(Stream& stream) {
  beast::get_lowest_layer(stream).expires_never();
}

// After refusing a request whose body is still arriving: read and discard what the client
// sends (bounded) so that closing does not reset the connection and destroy the answer
// before the client reads it.
template <typename Stream>
boost::asio::awaitable<void> drain(Stream& stream) {
  std::vector<char> sink(64 * 1024);
  std::size_t total = 0;
  setTimeout(stream, std::chrono::seconds(2));
  while (total < 16 * kMaxBodyBytes) {
    auto [ec, n] = co_await stream.async_read_some(boost::asio::buffer(sink), kUse);
    if (ec) break;
    total += n;
  }
}

// Streams a job's events until it is done, the client goes, or the server stops.
template <typename Stream>
boost::asio::awaitable<void> streamEvents(Stream& stream, SessionEnv env, std::string jobId, ApiRequest request) {
  auto sub = env.events->subscribe(jobId);
  // Subscribed first, so nothing falls between the snapshot and the first live event.
  ApiRequest snapshotRequest = request;
  snapshotRequest.target = "/v1/jobs/" + jobId;
  const ApiResponse job = env.router->handle(snapshotRequest);
  std::string head = sseHeader(env.serverName) + snapshotFrame(job);
  env.state->phase = SessionState::Phase::kStreaming;
  setTimeout(stream, env.writeTimeout);
  auto [ec, n] = co_await boost::asio::async_write(stream, boost::asio::buffer(head), kUse);
  clearTimeout(stream);
  if (ec || job.status != 200) co_return;
  const auto state = nlohmann::json::parse(job.body, nullptr, false).value("state", "");
  if (jobs::isFinishedJobState(state)) co_return;
  while (!*env.stopping) {
    auto event = co_await sub->next(std::chrono::duration_cast<std::chrono::milliseconds>(env.sseKeepAlive));
    std::string frame;
    if (event)
      frame = sseFrame(*event);
    else if (sub->closed())
      break;
    else
      frame = ": keep-alive\n\n";
    // A client that stops reading is dropped, not left to hold buffers and a slot forever.
    setTimeout(stream, env.writeTimeout);
    auto [wec, wn] = co_await boost::asio::async_write(stream, boost::asio::buffer(frame), kUse);
    clearTimeout(stream);
    if (wec) break;
    if (event && event->type == jobs::kEventJobDone) break;
  }
}

// Reads and answers requests until the peer closes, a timeout, an error or the server stops.
// Returns true when the connection may be shut down politely (no transport error).
template <typename Stream>
boost::asio::awaitable<bool> serve(Stream& stream, SessionEnv env) {
  beast::flat_buffer buffer;
  const auto openedAt = std::chrono::steady_clock::now();
  std::size_t served = 0;
  while (!*env.stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    // The limit is checked here, on Content-Length, so the refusal can be answered (Beast's own
    // check would fail the header read); it applies again while the body is read.
    parser.body_limit(boost::none);
    env.state->phase = SessionState::Phase::kWaiting;
    setTimeout(stream, env.headerTimeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUse);
    if (hec) co_return hec == http::error::end_of_stream;
    env.state->phase = SessionState::Phase::kBusy;
    setTimeout(stream, env.bodyTimeout);
    const auto t0 = std::chrono::steady_clock::now();
    auto& header = parser.get();
    const auto length = parser.content_length();
    if (length && *length > kMaxBodyBytes) {
      auto res = toHttpResponse(errorResponse(413, "payload_too_large", "request bodies are limited to 1 MiB"),
                                header.version(), false, env.serverName);
      auto [wec, wn] = co_await http::async_write(stream, res, kUse);
      env.router->observe("body-limit", 413,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!wec) co_await drain(stream);
      co_return false;
    }
    parser.body_limit(kMaxBodyBytes);
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont(http::status::continue_, header.version());
      auto [cec, cn] = co_await http::async_write(stream, cont, kUse);
      if (cec) co_return false;
    }
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kUse);
    if (bec == http::error::body_limit) {
      auto res = toHttpResponse(errorResponse(413, "payload_too_large", "request bodies are limited to 1 MiB"),
                                header.version(), false, env.serverName);
      auto [wec, wn] = co_await http::async_write(stream, res, kUse);
      env.router->observe("body-limit", 413,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!wec) co_await drain(stream);
      co_return false;
    }
    if (bec) co_return false;
    auto req = parser.release();
    const ApiRequest apiRequest = toApiRequest(req);
    if (env.router->authorized(apiRequest)) env.state->authenticated = true;
    const ApiResponse answer = env.router->handle(apiRequest);
    if (!answer.streamJobId.empty()) {
      co_await streamEvents(stream, env, answer.streamJobId, apiRequest);
      co_return true;
    }
    const bool fresh = ++served < env.maxRequests && std::chrono::steady_clock::now() - openedAt < env.maxAge;
    const bool keepAlive = req.keep_alive() && !*env.stopping && fresh;
    auto res = toHttpResponse(answer, req.version(), keepAlive, env.serverName);
    setTimeout(stream, env.writeTimeout);
    auto [wec, wn] = co_await http::async_write(stream, res, kUse);
    if (wec) co_return false;
    if (!keepAlive) co_return true;
  }
  co_return true;
}

}  // namespace autonomy::api::session
