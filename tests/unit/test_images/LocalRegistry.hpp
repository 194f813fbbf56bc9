#pragma once
// A docker-registry on 127.0.0.1 for this self-test only (the shared fixture lives in
// tests/support/process, which this library must not depend on). Optional htpasswd Basic auth.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/core/Error.hpp"

namespace autonomy::testing {

class LocalRegistry {
 public:
  struct Options {
    std::string htpasswdLine;  // "user:<bcrypt hash>" => Basic auth required
  };

  static Result<std::unique_ptr<LocalRegistry>> start(const Options& options);
  static Result<std::unique_ptr<LocalRegistry>> start() { return start(Options{}); }
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1:<port>"
  const std::filesystem::path& workDir() const { return dir_; }
  std::string log() const;

 private:
  LocalRegistry() = default;
  Status launch(const Options& options, int port);
  void stop();

  std::filesystem::path dir_;
  std::string host_;
  pid_t pid_ = -1;
};

}  // namespace autonomy::testing
