#pragma once
// The policy half of TokenServer, free of sockets: parses /token requests, decides what a user
// may do, mints the JWT and keeps a log of requests for tests to assert on (token reuse, scopes).
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process/JwtSigner.hpp"

namespace autonomy::testing {

struct TokenUser {
  std::string name;
  std::string password;
  std::vector<std::string> actions;  // granted on every repository, e.g. {"pull"} or {"pull", "push"}
  std::map<std::string, std::vector<std::string>> repositories;  // per-repository override of actions
  std::string refreshToken;  // accepted by POST /token grant_type=refresh_token (an identity token)
};

struct TokenServerOptions {
  std::vector<TokenUser> users;
  std::vector<std::string> anonymousActions;  // granted without credentials (default: none)
  std::string issuer = "autonomy-test-issuer";
  std::string service = "autonomy-test-registry";
  std::chrono::seconds tokenLifetime{300};
};

struct TokenAccess {
  std::string type;  // "repository" or "registry"
  std::string name;  // "fleet/nav"
  std::vector<std::string> actions;
};

struct TokenRequest {
  std::string user;  // empty: anonymous
  std::string service;
  std::vector<std::string> scopes;  // as sent: "repository:fleet/nav:pull,push"
  int status = 0;                   // HTTP status answered
  std::string grantType;            // POST (OAuth2) requests only: "refresh_token", ...
};

struct TokenResponse {
  int status = 200;
  std::string body;             // JSON
  std::string wwwAuthenticate;  // set on 401
};

class TokenIssuer {
 public:
  explicit TokenIssuer(TokenServerOptions options);

  // Answers GET <target> carrying the given Authorization header value (may be empty), and logs it.
  TokenResponse handle(std::string_view target, std::string_view authorization);
  // Answers POST <target> with a form body (the OAuth2 flow Docker uses for identity tokens).
  TokenResponse handleForm(std::string_view target, std::string_view form);

  std::vector<TokenAccess> grantedAccess(const std::string& user, const std::vector<std::string>& scopes) const;
  std::string mintToken(const std::string& subject, const std::string& audience,
                        const std::vector<TokenAccess>& access) const;

  const TokenServerOptions& options() const { return options_; }
  const std::string& certPem() const { return signer_.certPem(); }
  std::vector<TokenRequest> requests() const;
  std::size_t tokensIssued() const;
  void clearRequests();
  void setFailureStatus(int status);

 private:
  TokenResponse answer(std::string_view target, std::string_view authorization, TokenRequest& record) const;
  TokenResponse answerForm(std::string_view target, std::string_view form, TokenRequest& record) const;
  TokenResponse issue(const TokenRequest& record) const;
  TokenResponse record(TokenRequest request, TokenResponse response);

  TokenServerOptions options_;
  JwtSigner signer_;
  mutable std::mutex mutex_;
  std::vector<TokenRequest> requests_;
  int failureStatus_ = 0;
};

}  // namespace autonomy::testing
