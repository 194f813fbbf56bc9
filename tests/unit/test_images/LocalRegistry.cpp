#include "tests/unit/test_images/LocalRegistry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/support/images/ToolRunner.hpp"

namespace autonomy::testing {
namespace fs = std::filesystem;

namespace {

// The kernel picks a free port; the registry binds it a moment later (a race we retry on).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

Result<std::unique_ptr<LocalRegistry>> LocalRegistry::start(const Options& options) {
  std::unique_ptr<LocalRegistry> registry(new LocalRegistry());
  std::string pattern = (fs::temp_directory_path() / "autonomy-test-images-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return makeError(ErrorCode::kIo, "registry: mkdtemp failed");
  registry->dir_ = pattern;
  Status last = makeError(ErrorCode::kInternal, "registry: not started");
  for (int attempt = 0; attempt < 5 && !last; ++attempt) {
    const int port = freePort();
    if (port <= 0) return makeError(ErrorCode::kNetwork, "registry: no free port");
    last = registry->launch(options, port);
    if (!last) registry->stop();
  }
  if (!last) return last.error();
  return registry;
}

Status LocalRegistry::launch(const Options& options, int port) {
  host_ = "127.0.0.1:" + std::to_string(port);
  std::string auth;
  if (!options.htpasswdLine.empty()) {
    std::ofstream(dir_ / "htpasswd") << options.htpasswdLine << "\n";
    auth = "auth:\n  htpasswd:\n    realm: test\n    path: " + (dir_ / "htpasswd").string() + "\n";
  }
  std::ofstream(dir_ / "config.yml") << "version: 0.1\n"
                                     << "log:\n  level: info\n"
                                     << "storage:\n  filesystem:\n    rootdirectory: " << (dir_ / "data").string()
                                     << "\n  delete:\n    enabled: true\n"
                                     << "http:\n  addr: " << host_ << "\n  secret: test-images-secret\n"
                                     << auth;
  const std::string config = (dir_ / "config.yml").string();
  const std::string logPath = (dir_ / "registry.log").string();
  pid_ = ::fork();
  if (pid_ < 0) return makeError(ErrorCode::kIo, "registry: fork failed");
  if (pid_ == 0) {
    const int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(logFd, STDOUT_FILENO);
    ::dup2(logFd, STDERR_FILENO);
    ::execlp("docker-registry", "docker-registry", "serve", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return makeError(ErrorCode::kNetwork, "registry on " + host_ + " exited: " + log());
    }
    auto probe = imagesdetail::runTool(
        {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + host_ + "/v2/"}, std::chrono::seconds(5));
    if (probe && (probe->out == "200" || probe->out == "401")) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return makeError(ErrorCode::kNetwork, "registry on " + host_ + " did not answer GET /v2/: " + log());
}

void LocalRegistry::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

LocalRegistry::~LocalRegistry() {
  stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string LocalRegistry::log() const {
  std::ifstream in(dir_ / "registry.log");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace autonomy::testing
