#include "engine/registry/Connection.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <optional>

namespace autonomy::registry {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto kToken = net::as_tuple(net::use_awaitable);

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec || host.starts_with("[");
}

Error netError(const Origin& o, std::string_view what, const boost::system::error_code& ec) {
  const bool timeout = ec == beast::error::timeout;
  std::string msg =
      std::string(what) + " " + o.url.authority() + ": " + (timeout ? "no progress (stalled)" : ec.message());
  const bool aborted = ec == net::error::operation_aborted;
  return makeError(aborted ? ErrorCode::kCancelled : ErrorCode::kNetwork, std::move(msg), !aborted);
}

template <class Fields>
void copyHeaders(const HttpRequest& r, http::request<http::empty_body, Fields>& out) {
  for (const auto& [k, v] : r.headers) out.set(k, v);
}

template <class Message>
void fillResponse(const Message& m, HttpResponse& out) {
  out.status = m.result_int();
  for (const auto& f : m) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
}

// A blob body given up while it waited for a window (its socket was closed by a cancel).
Error cancelledWhilePaused() {
  return makeError(ErrorCode::kCancelled, "cancelled while paused outside the host's transfer windows");
}

}  // namespace

struct Connection::Impl {
  // Beast sizes each socket read by the buffer's free capacity (512 bytes when it has none):
  // room for 64 KiB keeps a blob download at a few thousand reads instead of millions.
  explicit Impl(net::any_io_executor ex) : plain(ex) { buffer.reserve(kReadRoom); }
  static constexpr std::size_t kReadRoom = 64 * 1024;
  beast::tcp_stream plain;
  std::optional<beast::ssl_stream<beast::tcp_stream&>> tls;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> streamParser;
  bool keepAlive = true;
  bool responseComplete = true;
  bool headRequest = false;

  // The stall deadline moves with every operation; moving it at most every quarter of the stall
  // time (and every second at most) keeps timer updates out of the per-read cost.
  void arm(std::chrono::seconds stall) {
    const auto now = std::chrono::steady_clock::now();
    const auto every = std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1), stall / 4);
    if (stall == armedFor && now - armedAt < every) return;
    plain.expires_after(stall);
    armedAt = now;
    armedFor = stall;
  }
  std::chrono::steady_clock::time_point armedAt{};
  std::chrono::seconds armedFor{0};
};

Connection::Connection(Origin origin) : origin_(std::move(origin)) {}
Connection::~Connection() = default;

Task<Result<std::unique_ptr<Connection>>> Connection::open(net::any_io_executor executor, Origin origin,
                                                           CancelTokenPtr cancel) {
  std::unique_ptr<Connection> c(new Connection(std::move(origin)));
  c->impl_ = std::make_unique<Impl>(executor);
  const auto& o = c->origin_;
  std::string host = o.url.host;
  if (host.starts_with("[")) host = host.substr(1, host.size() - 2);
  tcp::resolver resolver(executor);
  auto [rec, results] = co_await resolver.async_resolve(host, o.url.port, kToken);
  if (rec) co_return makeError(ErrorCode::kNetwork, "resolve " + o.url.authority() + ": " + rec.message(), true);
  struct Unsubscribe {
    CancelTokenPtr token;
    CancelToken::Id id = 0;
    ~Unsubscribe() {
      if (token && id) token->unsubscribe(id);
    }
  } guard{cancel};
  if (cancel) {
    Connection* raw = c.get();
    guard.id = cancel->subscribe([raw] { raw->close(); });
  }
  c->impl_->arm(o.stallTimeout);
  auto [cec, ep] = co_await c->impl_->plain.async_connect(results, kToken);
  if (cec) co_return netError(o, "connect to", cec);
  c->impl_->plain.socket().set_option(tcp::no_delay(true));
  if (o.url.tls) {
    c->impl_->tls.emplace(c->impl_->plain, *o.tls);
    auto& s = *c->impl_->tls;
    if (!isIpLiteral(host)) SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
    s.set_verify_mode(net::ssl::verify_peer);
    s.set_verify_callback(net::ssl::host_name_verification(host));
    c->impl_->arm(o.stallTimeout);
    auto [hec] = co_await s.async_handshake(net::ssl::stream_base::client, kToken);
    if (hec)
      co_return makeError(ErrorCode::kNetwork,
                          "TLS handshake with " + o.url.authority() + ": " + hec.message() +
                              " (for a private CA put it in /etc/containers/certs.d/" + o.url.authority() +
                              "/ca.crt or --certs-dir; for a plain-HTTP registry pass --allow-insecure-registry)",
                          false);
  }
  co_return c;
}

namespace {
template <class Stream>
Task<Result<HttpResponse>> doExchange(Stream* s, Connection::Impl* impl, const Origin* o, HttpRequest req,
                                      std::size_t limit) {
  http::request<http::string_body> m{http::string_to_verb(req.method), req.target, 11};
  m.set(http::field::host, o->url.authority());
  m.set(http::field::user_agent, "autonomy-syncd/0.1");
  for (const auto& [k, v] : req.headers) m.set(k, v);
  m.body() = std::move(req.body);
  m.prepare_payload();
  if (req.method == "PUT" || req.method == "POST" || req.method == "PATCH") m.content_length(m.body().size());
  impl->arm(o->stallTimeout);
  impl->responseComplete = false;
  auto [wec, wn] = co_await http::async_write(*s, m, kToken);
  if (wec) co_return netError(*o, "send to", wec);
  http::response_parser<http::string_body> p;
  p.body_limit(limit);
  if (req.method == "HEAD") p.skip(true);
  impl->arm(o->stallTimeout);
  auto [rec, rn] = co_await http::async_read(*s, impl->buffer, p, kToken);
  if (rec == http::error::body_limit)
    co_return makeError(ErrorCode::kRegistry, o->url.authority() + " sent a response larger than " +
                                                  std::to_string(limit) + " bytes for " + req.target);
  if (rec) co_return netError(*o, "read from", rec);
  HttpResponse out;
  fillResponse(p.get(), out);
  if (p.content_length()) out.contentLength = *p.content_length();
  out.body = std::move(p.get().body());
  impl->keepAlive = p.get().keep_alive();
  impl->responseComplete = true;
  co_return out;
}

template <class Stream>
Task<Status> doWriteHead(Stream* s, Connection::Impl* impl, const Origin* o, HttpRequest req) {
  http::request<http::empty_body> m{http::string_to_verb(req.method), req.target, 11};
  m.set(http::field::host, o->url.authority());
  m.set(http::field::user_agent, "autonomy-syncd/0.1");
  copyHeaders(req, m);
  if (req.streamLength)
    m.content_length(*req.streamLength);
  else if (!req.body.empty() || req.method == "PUT" || req.method == "POST" || req.method == "PATCH")
    m.content_length(req.body.size());
  http::request_serializer<http::empty_body> sr{m};
  impl->arm(o->stallTimeout);
  impl->responseComplete = false;
  impl->headRequest = req.method == "HEAD";
  auto [ec, n] = co_await http::async_write_header(*s, sr, kToken);
  if (ec) co_return netError(*o, "send to", ec);
  if (!req.body.empty()) {
    auto [bec, bn] = co_await net::async_write(*s, net::buffer(req.body), kToken);
    if (bec) co_return netError(*o, "send to", bec);
  }
  co_return Status{};
}

template <class Stream>
Task<Status> doWriteBody(Stream* s, Connection::Impl* impl, const Origin* o, const char* data, std::size_t size) {
  impl->arm(o->stallTimeout);
  auto [ec, n] = co_await net::async_write(*s, net::buffer(data, size), kToken);
  if (ec) co_return netError(*o, "send to", ec);
  co_return Status{};
}

template <class Stream>
Task<Result<HttpResponse>> doReadHead(Stream* s, Connection::Impl* impl, const Origin* o) {
  impl->streamParser.emplace();
  impl->streamParser->body_limit(boost::none);
  if (impl->headRequest) impl->streamParser->skip(true);
  impl->arm(o->stallTimeout);
  auto [ec, n] = co_await http::async_read_header(*s, impl->buffer, *impl->streamParser, kToken);
  if (ec) co_return netError(*o, "read from", ec);
  HttpResponse out;
  fillResponse(impl->streamParser->get(), out);
  if (impl->streamParser->content_length()) out.contentLength = *impl->streamParser->content_length();
  impl->keepAlive = impl->streamParser->get().keep_alive();
  impl->responseComplete = impl->streamParser->is_done();
  co_return out;
}

template <class Stream>
Task<Result<std::size_t>> doReadBody(Stream* s, Connection::Impl* impl, const Origin* o, char* buf, std::size_t size) {
  auto& p = *impl->streamParser;
  if (p.is_done()) co_return std::size_t{0};
  p.get().body().data = buf;
  p.get().body().size = size;
  impl->arm(o->stallTimeout);
  auto [ec, n] = co_await http::async_read_some(*s, impl->buffer, p, kToken);
  if (ec == http::error::need_buffer) ec = {};
  if (ec) co_return netError(*o, "read from", ec);
  const std::size_t got = size - p.get().body().size;
  if (p.is_done()) impl->responseComplete = true;
  co_return got;
}
}  // namespace

Task<Result<HttpResponse>> Connection::exchange(HttpRequest request, std::size_t bodyLimit) {
  ++uses_;
  if (impl_->tls) co_return co_await doExchange(&*impl_->tls, impl_.get(), &origin_, std::move(request), bodyLimit);
  co_return co_await doExchange(&impl_->plain, impl_.get(), &origin_, std::move(request), bodyLimit);
}

Task<Result<HttpResponse>> Connection::sendAndReadHead(HttpRequest request) {
  ++uses_;
  // (No `?:` around co_await: g++ 12 destroys the wrong temporary.)
  Status w;
  if (impl_->tls)
    w = co_await doWriteHead(&*impl_->tls, impl_.get(), &origin_, std::move(request));
  else
    w = co_await doWriteHead(&impl_->plain, impl_.get(), &origin_, std::move(request));
  if (!w) co_return w.error();
  co_return co_await readHeadOnly();
}

Task<Result<HttpResponse>> Connection::readHeadOnly() {
  if (impl_->tls) co_return co_await doReadHead(&*impl_->tls, impl_.get(), &origin_);
  co_return co_await doReadHead(&impl_->plain, impl_.get(), &origin_);
}

Task<Result<std::size_t>> Connection::readBlobBody(char* buf, std::size_t size) {
  const bool paused = origin_.rate && !origin_.rate->windows().isOpen();
  co_await holdForWindows();
  if (paused && !impl_->plain.socket().is_open()) co_return cancelledWhilePaused();
  co_return co_await readBody(buf, size);
}

Task<Result<std::size_t>> Connection::readBody(char* buf, std::size_t size) {
  // Under a cap, one piece at a time, paid for once it has arrived.
  if (origin_.rate) size = std::min(size, origin_.rate->piece());
  Result<std::size_t> got;
  if (impl_->tls)
    got = co_await doReadBody(&*impl_->tls, impl_.get(), &origin_, buf, size);
  else
    got = co_await doReadBody(&impl_->plain, impl_.get(), &origin_, buf, size);
  if (got && *got > 0 && origin_.rate) co_await origin_.rate->pace(*got);
  co_return got;
}

Task<void> Connection::holdForWindows() {
  // Blob bodies wait outside the host's transfer windows; a cancel closes the socket (see
  // Lease), which ends the wait. The callers then stop before pacing or sending anything.
  if (!origin_.rate || origin_.rate->windows().isOpen()) co_return;
  std::function<bool()> closed = [impl = impl_.get()] { return !impl->plain.socket().is_open(); };
  const bool open = co_await origin_.rate->windows().waitOpen(std::move(closed));
  (void)open;  // the socket says which
}

Task<Status> Connection::writeHead(HttpRequest request) {
  ++uses_;
  if (impl_->tls) co_return co_await doWriteHead(&*impl_->tls, impl_.get(), &origin_, std::move(request));
  co_return co_await doWriteHead(&impl_->plain, impl_.get(), &origin_, std::move(request));
}

Task<Status> Connection::writeBody(const char* data, std::size_t size) {
  bodyBytesWritten_ += size;
  while (size > 0) {  // under a cap, one paced piece at a time
    const std::size_t n = origin_.rate ? std::min(size, origin_.rate->piece()) : size;
    const bool paused = origin_.rate && !origin_.rate->windows().isOpen();
    co_await holdForWindows();
    if (paused && !impl_->plain.socket().is_open()) co_return cancelledWhilePaused();
    if (origin_.rate) co_await origin_.rate->pace(n);
    Status sent;
    if (impl_->tls)
      sent = co_await doWriteBody(&*impl_->tls, impl_.get(), &origin_, data, n);
    else
      sent = co_await doWriteBody(&impl_->plain, impl_.get(), &origin_, data, n);
    if (!sent) co_return sent;
    data += n;
    size -= n;
  }
  co_return Status{};
}

Task<Result<HttpResponse>> Connection::readResponse(std::size_t bodyLimit) {
  auto head = co_await readHeadOnly();
  if (!head) co_return head;
  HttpResponse out = std::move(*head);
  std::string body;
  char buf[16 * 1024];
  while (true) {
    auto n = co_await readBody(buf, sizeof buf);
    if (!n) co_return n.error();
    if (*n == 0) break;
    if (body.size() + *n > bodyLimit) {
      close();
      co_return makeError(ErrorCode::kRegistry, origin_.url.authority() + " sent an oversized response");
    }
    body.append(buf, *n);
  }
  out.body = std::move(body);
  co_return out;
}

bool Connection::reusable() const {
  return impl_ && impl_->keepAlive && impl_->responseComplete && impl_->plain.socket().is_open();
}

void Connection::close() {
  boost::system::error_code ec;
  impl_->plain.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->plain.socket().close(ec);
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

}  // namespace autonomy::registry
