// The Beast server carrying the routes over real sockets on 127.0.0.1, driven by curl:
// keep-alive, the body limit, TLS, unix sockets and server-sent events.
#include "api/HttpServer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/process/Subprocess.hpp"
#include "tests/support/process/TempDir.hpp"
#include "tests/support/process/TestCa.hpp"
#include "tests/unit/api/FakeBackend.hpp"

namespace autonomy::api {
namespace {

constexpr const char* kToken = "server-test-token-0123456789";

class HttpServerTest : public ::testing::Test {
 protected:
  void startServer(std::vector<config::ListenAddress> listen, std::optional<config::TlsConfig> tls = std::nullopt,
                   ServerOptions opts = {}) {
    opts.listen = std::move(listen);
    opts.tls = std::move(tls);
    opts.sseKeepAlive = std::chrono::seconds(1);
    server_ = std::make_unique<HttpServer>(io_.get_executor(), router_, events_, opts);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    url_ = server_->boundAddresses().front();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] {
        server_->stop();
        events_.closeAll();
      });
      work_.reset();
      thread_.join();
    }
  }
  // Runs fn on the io_context thread and waits for it.
  template <typename Fn>
  auto onIo(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto f = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return f.get();
  }
  autonomy::testing::RunResult curl(std::vector<std::string> args) {
    std::vector<std::string> argv{"curl", "-sS", "--max-time", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return autonomy::testing::runCommand(argv);
  }
  std::string auth() const { return std::string("Authorization: Bearer ") + kToken; }
  // A one-repo job in the fake backend; call on the io_context thread. Its id.
  std::string submitDemoJob() {
    jobs::JobSpec s;
    s.from = "a:5000";
    s.to = "b:5000";
    s.repos = {*oci::RepoRef::parse("demo:v1")};
    s.skipVerify = true;
    return backend_.submitJob(s)->job.id;
  }

  autonomy::testing::TempDir dir_{"httpserver"};
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  jobs::EventHub events_{io_.get_executor()};
  testing::FakeBackend backend_{dir_.path()};
  Router router_{backend_, *BearerAuth::fromToken(kToken)};
  std::unique_ptr<HttpServer> server_;
  std::string url_;
  std::thread thread_;
};

config::ListenAddress loopback() { return *config::ListenAddress::parse("127.0.0.1:0"); }

TEST_F(HttpServerTest, ServesRoutesAndReusesConnections) {
  startServer({loopback()});
  auto r = curl({"-w", "\\n%{http_code} %{num_connects}\\n", url_ + "/healthz", url_ + "/healthz"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.stdoutText.find("200 1"), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("200 0"), std::string::npos) << "second request on the same connection\n" << r.stdoutText;
}

TEST_F(HttpServerTest, UnauthorizedAndNotFoundAreJsonErrors) {
  startServer({loopback()});
  auto r = curl({"-w", "\\n%{http_code}", url_ + "/v1/jobs"});
  EXPECT_NE(r.stdoutText.find("\"unauthorized\""), std::string::npos);
  EXPECT_NE(r.stdoutText.find("\n401"), std::string::npos);
  auto nf = curl({"-H", auth(), "-w", "\n%{http_code}", url_ + "/v1/jobs/ffffffffffffffff"});
  EXPECT_NE(nf.stdoutText.find("\n404"), std::string::npos) << nf.stdoutText;
}

TEST_F(HttpServerTest, BodiesOverTheLimitAre413) {
  startServer({loopback()});
  const auto big = dir_.path() / "big.json";
  std::ofstream(big) << std::string(kMaxBodyBytes + 10, 'x');
  auto r = curl({"-H", auth(), "-H", "Content-Type: application/json", "--data-binary", "@" + big.string(), "-w",
                 "\n%{http_code}", url_ + "/v1/jobs"});
  EXPECT_NE(r.stdoutText.find("\n413"), std::string::npos) << r.describe();
  EXPECT_NE(r.stdoutText.find("payload_too_large"), std::string::npos);
  // Chunked: no Content-Length to refuse up front, the parser's limit stops it.
  auto chunked = curl({"-H", auth(), "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big.string(), "-w",
                       "\n%{http_code}", url_ + "/v1/jobs"});
  EXPECT_NE(chunked.stdoutText.find("\n413"), std::string::npos) << chunked.describe();
}

TEST_F(HttpServerTest, SubmitsAJobOverHttp) {
  startServer({loopback()});
  const std::string body =
      R"({"from_registry":"a:5000","to_registry":"b:5000","repos":["demo:v1"],"skip_verify":true})";
  auto r = curl({"-H", auth(), "-d", body, "-w", "\n%{http_code}", url_ + "/v1/jobs"});
  EXPECT_NE(r.stdoutText.find("\n202"), std::string::npos) << r.describe();
}

TEST_F(HttpServerTest, StreamsJobEventsUntilTheJobIsDone) {
  startServer({loopback()});
  const std::string id = onIo([this] { return submitDemoJob(); });
  auto streamed = std::async(std::launch::async, [&] {
    return curl({"-N", "-H", auth(), url_ + "/v1/jobs/" + id + "/events"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  onIo([&] {
    events_.publish(id, jobs::kEventRepoStarted, {{"job", id}, {"repo", "demo"}});
    events_.publish(id, jobs::kEventProgress, {{"job", id}, {"repo", "demo"}, {"bytes", 512}});
    events_.publish(id, jobs::kEventJobDone, {{"job", id}, {"state", "succeeded"}});
    return 0;
  });
  auto r = streamed.get();
  ASSERT_TRUE(r.ok()) << r.describe();
  const auto& out = r.stdoutText;
  const auto snapshot = out.find("event: snapshot\ndata: {");
  const auto started = out.find("event: repo-started");
  const auto progress = out.find("event: progress");
  const auto done = out.find("event: job-done");
  ASSERT_NE(snapshot, std::string::npos) << out;
  ASSERT_NE(done, std::string::npos) << out;
  EXPECT_LT(snapshot, started);
  EXPECT_LT(started, progress);
  EXPECT_LT(progress, done);
  EXPECT_NE(out.find("\"bytes\":512"), std::string::npos);
}

TEST_F(HttpServerTest, EventsOfAFinishedJobAreJustTheSnapshot) {
  startServer({loopback()});
  const std::string id = onIo([this] {
    auto created = submitDemoJob();
    backend_.job(created).state = "succeeded";
    return created;
  });
  auto r = curl({"-N", "-H", auth(), url_ + "/v1/jobs/" + id + "/events"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.stdoutText.find("\"state\":\"succeeded\""), std::string::npos);
}

TEST_F(HttpServerTest, ServesHttpsWithTheConfiguredCertificate) {
  autonomy::testing::TestCa ca(dir_.path() / "ca");
  startServer({loopback()}, config::TlsConfig{ca.serverCertPath(), ca.serverKeyPath()});
  ASSERT_EQ(url_.rfind("https://", 0), 0u) << url_;
  auto r = curl({"--cacert", ca.caCertPath().string(), url_ + "/healthz"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.stdoutText.find("\"ok\""), std::string::npos);
  auto plain = curl({"http://" + url_.substr(8) + "/healthz"});
  EXPECT_FALSE(plain.ok()) << "plain HTTP on a TLS listener";
}

TEST_F(HttpServerTest, ServesAUnixSocket) {
  const auto sock = dir_.path() / "run" / "api.sock";
  startServer({*config::ListenAddress::parse("unix:" + sock.string())});
  auto r = curl({"--unix-socket", sock.string(), "http://localhost/healthz"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.stdoutText.find("\"ok\""), std::string::npos);
}

TEST_F(HttpServerTest, ABusyPortIsAnErrorNamingTheAddress) {
  startServer({loopback()});
  const auto port = url_.substr(url_.rfind(':') + 1);
  boost::asio::io_context other;
  jobs::EventHub hub(other.get_executor());
  ServerOptions opts;
  opts.listen = {*config::ListenAddress::parse("127.0.0.1:" + port)};
  HttpServer second(other.get_executor(), router_, hub, opts);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("127.0.0.1:" + port), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace autonomy::api

namespace autonomy::api {
namespace {

// A raw client socket on 127.0.0.1 that sends `text` (possibly a half request) and then holds on.
int holdConnection(const std::string& url, const std::string& text) {
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  if (!text.empty() && ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0) return -1;
  return fd;
}

// Idle and half-sent connections, unauthenticated, fill the server past its limits: an
// authenticated request still gets in (the waiting connections are shed), and the server never
// holds more than its limit.
TEST_F(HttpServerTest, IdleAndHalfSentConnectionsAreShedForANewOne) {
  ServerOptions opts;
  opts.maxConnections = 40;
  opts.maxConnectionsPerPeer = 30;
  startServer({loopback()}, std::nullopt, opts);
  std::vector<int> held;
  held.reserve(150);
  for (int i = 0; i < 100; ++i) held.push_back(holdConnection(url_, ""));
  for (int i = 0; i < 50; ++i) held.push_back(holdConnection(url_, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  for (int fd : held) ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the server accept them all
  EXPECT_LE(onIo([this] { return server_->openConnections(); }), 30u) << "per-peer limit";

  auto r = curl({"-H", auth(), "-w", "\n%{http_code}", url_ + "/v1/jobs"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.stdoutText.find("\n200"), std::string::npos) << r.stdoutText;
  for (int fd : held) ::close(fd);
}

// A request header that never finishes is cut off at the header deadline.
TEST_F(HttpServerTest, HalfSentHeaderIsClosedAtItsDeadline) {
  ServerOptions opts;
  opts.headerTimeout = std::chrono::seconds(1);
  startServer({loopback()}, std::nullopt, opts);
  const int fd = holdConnection(url_, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte = 0;
  const auto n = ::recv(fd, &byte, 1, 0);  // 0: the server closed it; -1: still open after 5 s
  EXPECT_EQ(n, 0);
  ::close(fd);
}

// An event stream whose client stops reading: once the socket buffers are full, the write
// deadline closes the stream instead of holding a connection and a subscription for ever.
TEST_F(HttpServerTest, EventStreamThatIsNotReadIsClosedAtTheWriteDeadline) {
  ServerOptions opts;
  opts.writeTimeout = std::chrono::seconds(1);
  startServer({loopback()}, std::nullopt, opts);
  const std::string id = onIo([this] { return submitDemoJob(); });
  const int fd = holdConnection(url_, "GET /v1/jobs/" + id + "/events HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(onIo([this] { return server_->openConnections(); }), 1u);
  // Far more than loopback's socket buffers hold (a few MiB), none of it read.
  const std::string padding(64 * 1024, 'p');
  for (int i = 0; i < 200; ++i)
    onIo([&] {
      events_.publish(id, jobs::kEventRepoStarted, {{"job", id}, {"repo", "demo"}, {"padding", padding}});
      return 0;
    });
  std::size_t open = 1;
  for (int i = 0; i < 100 && open > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    open = onIo([this] { return server_->openConnections(); });
  }
  EXPECT_EQ(open, 0u) << "the stream was still open 10 s after its client stopped reading";
  ::close(fd);
}

}  // namespace
}  // namespace autonomy::api
