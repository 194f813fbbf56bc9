#pragma once
// The Docker registry token flow for distribution's `auth: token`: GET /token?service=&scope=
// with Basic credentials (or POST /token with grant_type=refresh_token, for identity tokens)
// answers {"token", "access_token", "expires_in"} where the token is an
// ES256 JWT whose x5c names a self-signed certificate the registry trusts via rootcertbundle.
// Plain HTTP on 127.0.0.1, one connection at a time ("Connection: close"), on its own thread.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/TokenIssuer.hpp"

namespace autonomy::testing {

class TokenServer {
 public:
  explicit TokenServer(TokenServerOptions options = {});
  ~TokenServer();  // stops the thread and closes the port
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  std::uint16_t port() const;
  std::string realm() const;  // "http://127.0.0.1:<port>/token"
  const std::string& issuer() const;
  const std::string& service() const;
  std::filesystem::path rootCertBundlePath() const;  // PEM of the token signing certificate
  RegistryTokenAuth registryAuth() const;            // settings for RegistryOptions::tokenAuth

  // Every /token request answered so far, and the number that got a token.
  std::vector<TokenRequest> requests() const;
  std::size_t requestCount() const;
  std::size_t tokensIssued() const;
  void clearRequests();

  // Answer every /token request with this status (e.g. 503) until set back to 0.
  void setFailureStatus(int status);

  // A signed token for subject with exactly this access, as the HTTP endpoint would issue.
  std::string mintToken(const std::string& subject, const std::vector<TokenAccess>& access) const;

  // Access the server grants user (empty: anonymous) for the requested scope strings.
  std::vector<TokenAccess> grantedAccess(const std::string& user, const std::vector<std::string>& scopes) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autonomy::testing
