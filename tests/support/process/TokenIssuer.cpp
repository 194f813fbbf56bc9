#include "tests/support/process/TokenIssuer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"

namespace autonomy::testing {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded value: %XX escapes and '+' for space.
std::string percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    auto eq = part.find('=');
    if (!part.empty()) {
      out.emplace_back(percentDecode(part.substr(0, eq)),
                       eq == std::string_view::npos ? std::string() : percentDecode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    auto at = text.find(separator);
    if (!text.substr(0, at).empty()) out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::string randomId() {
  std::random_device device;
  std::string out;
  for (int i = 0; i < 4; ++i) out += std::to_string(device());
  return out;
}

nlohmann::json errorBody(std::string_view code, std::string_view message) {
  return {{"errors", nlohmann::json::array({{{"code", code}, {"message", message}}})}};
}

}  // namespace

TokenIssuer::TokenIssuer(TokenServerOptions options) : options_(std::move(options)) {}

std::vector<TokenAccess> TokenIssuer::grantedAccess(const std::string& user,
                                                    const std::vector<std::string>& scopes) const {
  const std::vector<std::string>* rights = &options_.anonymousActions;
  const TokenUser* account = nullptr;
  for (const auto& candidate : options_.users) {
    if (candidate.name == user) account = &candidate;
  }
  if (!user.empty()) rights = account != nullptr ? &account->actions : nullptr;

  std::vector<TokenAccess> out;
  for (const auto& scopeList : scopes) {
    for (const auto& scope : split(scopeList, ' ')) {
      // type:name:actions; the name may itself hold ':' so split at the first and last.
      auto first = scope.find(':');
      auto last = scope.rfind(':');
      if (first == std::string::npos || first == last) continue;
      TokenAccess access{scope.substr(0, first), scope.substr(first + 1, last - first - 1), {}};
      if (auto paren = access.type.find('('); paren != std::string::npos) access.type.resize(paren);
      const std::vector<std::string>* allowed = rights;
      if (account != nullptr) {
        auto it = account->repositories.find(access.name);
        if (access.type == "repository" && it != account->repositories.end()) allowed = &it->second;
      }
      if (allowed == nullptr) continue;
      bool all = std::find(allowed->begin(), allowed->end(), "*") != allowed->end();
      for (const auto& action : split(scope.substr(last + 1), ',')) {
        bool permitted = all || std::find(allowed->begin(), allowed->end(), action) != allowed->end();
        bool duplicate = std::find(access.actions.begin(), access.actions.end(), action) != access.actions.end();
        if (permitted && !duplicate) access.actions.push_back(action);
      }
      if (!access.actions.empty()) out.push_back(std::move(access));
    }
  }
  return out;
}

std::string TokenIssuer::mintToken(const std::string& subject, const std::string& audience,
                                   const std::vector<TokenAccess>& access) const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  nlohmann::json accessJson = nlohmann::json::array();
  for (const auto& entry : access) {
    accessJson.push_back({{"type", entry.type}, {"name", entry.name}, {"actions", entry.actions}});
  }
  // distribution 2.8 reads aud as a single string and checks iss, aud, exp and nbf (60 s leeway).
  nlohmann::json claims = {{"iss", options_.issuer}, {"sub", subject},
                           {"aud", audience},        {"exp", (now + options_.tokenLifetime).count()},
                           {"nbf", now.count()},     {"iat", now.count()},
                           {"jti", randomId()},      {"access", accessJson}};
  return signer_.sign(claims.dump());
}

TokenResponse TokenIssuer::handle(std::string_view target, std::string_view authorization) {
  TokenRequest request;
  TokenResponse response = answer(target, authorization, request);
  return record(std::move(request), std::move(response));
}

TokenResponse TokenIssuer::handleForm(std::string_view target, std::string_view form) {
  TokenRequest request;
  TokenResponse response = answerForm(target, form, request);
  return record(std::move(request), std::move(response));
}

TokenResponse TokenIssuer::record(TokenRequest request, TokenResponse response) {
  request.status = response.status;
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(request));
  return response;
}

TokenResponse TokenIssuer::answerForm(std::string_view target, std::string_view form, TokenRequest& record) const {
  std::string refreshToken;
  for (const auto& [key, value] : parseQuery(form)) {
    if (key == "service") record.service = value;
    if (key == "scope") record.scopes = split(value, ' ');
    if (key == "grant_type") record.grantType = value;
    if (key == "refresh_token") refreshToken = value;
  }
  if (target.substr(0, target.find('?')) != "/token")
    return {404, errorBody("NOT_FOUND", "only /token is served here").dump(), {}};
  if (record.grantType != "refresh_token") return {400, R"({"error":"unsupported_grant_type"})", {}};
  const auto user = std::find_if(options_.users.begin(), options_.users.end(), [&](const TokenUser& u) {
    return !u.refreshToken.empty() && u.refreshToken == refreshToken;
  });
  if (user == options_.users.end()) return {401, R"({"error":"invalid_grant"})", {}};
  record.user = user->name;
  return issue(record);
}

TokenResponse TokenIssuer::answer(std::string_view target, std::string_view authorization, TokenRequest& record) const {
  auto question = target.find('?');
  std::string_view path = target.substr(0, question);
  for (const auto& [key, value] : parseQuery(question == std::string_view::npos ? "" : target.substr(question + 1))) {
    if (key == "service") record.service = value;
    if (key == "scope") record.scopes.push_back(value);
  }
  if (path != "/token") return {404, errorBody("NOT_FOUND", "only /token is served here").dump(), {}};
  {
    std::lock_guard lock(mutex_);
    if (failureStatus_ != 0) return {failureStatus_, errorBody("UNAVAILABLE", "failure injected by test").dump(), {}};
  }

  if (startsWithNoCase(authorization, "basic ")) {
    auto decoded = base64Decode(authorization.substr(6));
    std::string credentials = decoded.value_or("");
    auto colon = credentials.find(':');
    std::string name = credentials.substr(0, colon);
    std::string password = colon == std::string::npos ? "" : credentials.substr(colon + 1);
    bool valid = std::any_of(options_.users.begin(), options_.users.end(),
                             [&](const TokenUser& u) { return u.name == name && u.password == password; });
    if (!valid) {
      record.user = name;
      return {401, errorBody("UNAUTHORIZED", "incorrect username or password").dump(),
              "Basic realm=\"autonomy-test-token\""};
    }
    record.user = name;
  }

  return issue(record);
}

TokenResponse TokenIssuer::issue(const TokenRequest& record) const {
  std::string audience = record.service.empty() ? options_.service : record.service;
  std::string token = mintToken(record.user, audience, grantedAccess(record.user, record.scopes));
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char issuedAt[32];
  std::strftime(issuedAt, sizeof issuedAt, "%Y-%m-%dT%H:%M:%SZ", &utc);
  nlohmann::json body = {{"token", token},
                         {"access_token", token},
                         {"expires_in", options_.tokenLifetime.count()},
                         {"issued_at", issuedAt}};
  return {200, body.dump(), {}};
}

std::vector<TokenRequest> TokenIssuer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TokenIssuer::tokensIssued() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(requests_.begin(), requests_.end(), [](const TokenRequest& r) { return r.status == 200; }));
}

void TokenIssuer::clearRequests() {
  std::lock_guard lock(mutex_);
  requests_.clear();
}

void TokenIssuer::setFailureStatus(int status) {
  std::lock_guard lock(mutex_);
  failureStatus_ = status;
}

}  // namespace autonomy::testing
