#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/TokenServer.hpp"
#include "tests/unit/test_support/Curl.hpp"

namespace autonomy::testing {
namespace {

TokenServerOptions twoUsers() {
  TokenServerOptions options;
  options.users = {{"reader", "rpass", {"pull"}, {}, {}}, {"writer", "wpass", {"pull", "push"}, {}, {}}};
  return options;
}

RegistryOptions tokenRegistry(const TokenServer& server) {
  RegistryOptions options;
  options.tokenAuth = server.registryAuth();
  return options;
}

std::string fetchToken(const TokenServer& server, const std::string& query, const std::string& credentials = {}) {
  std::vector<std::string> args;
  if (!credentials.empty()) args = {"-u", credentials};
  CurlReply reply = curl(args, server.realm() + "?service=" + server.service() + query);
  EXPECT_EQ(reply.status, 200) << reply.headers << reply.body;
  if (reply.status != 200) return {};
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body.at("token"), body.at("access_token"));
  EXPECT_EQ(body.at("expires_in"), 300);
  return body.at("token").get<std::string>();
}

nlohmann::json claimsOf(const std::string& jwt) {
  auto first = jwt.find('.');
  auto second = jwt.find('.', first + 1);
  std::string part = jwt.substr(first + 1, second - first - 1);
  std::replace(part.begin(), part.end(), '-', '+');
  std::replace(part.begin(), part.end(), '_', '/');
  while (part.size() % 4 != 0) part += '=';
  return nlohmann::json::parse(base64Decode(part).value_or("{}"));
}

std::vector<std::string> bearer(const std::string& token) { return {"-H", "Authorization: Bearer " + token}; }

std::vector<std::string> bearerPost(const std::string& token) {
  return {"-X", "POST", "-H", "Authorization: Bearer " + token};
}

TEST(TokenServer, RegistryChallengesWithBearerAndAcceptsIssuedToken) {
  TokenServer server(twoUsers());
  RegistryProcess registry(tokenRegistry(server));

  CurlReply challenge = curl({}, registry.url() + "/v2/");
  EXPECT_EQ(challenge.status, 401);
  EXPECT_EQ(headerValue(challenge.headers, "WWW-Authenticate"),
            "Bearer realm=\"" + server.realm() + "\",service=\"" + server.service() + "\"");

  std::string token = fetchToken(server, "", "reader:rpass");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(curl(bearer(token), registry.url() + "/v2/").status, 200);
  EXPECT_EQ(server.tokensIssued(), 1U);
}

TEST(TokenServer, ActionsAreIntersectedWithTheUsersRights) {
  TokenServer server(twoUsers());
  RegistryProcess registry(tokenRegistry(server));

  std::string readerToken = fetchToken(server, "&scope=repository:fleet/nav:pull,push", "reader:rpass");
  auto claims = claimsOf(readerToken);
  EXPECT_EQ(claims.at("iss"), server.issuer());
  EXPECT_EQ(claims.at("aud"), server.service());
  EXPECT_EQ(claims.at("sub"), "reader");
  EXPECT_EQ(claims.at("access"),
            nlohmann::json::parse(R"([{"type":"repository","name":"fleet/nav","actions":["pull"]}])"));

  // A reader may pull (404: the repo is empty) but not start an upload.
  CurlReply tags = curl(bearer(readerToken), registry.url() + "/v2/fleet/nav/tags/list");
  EXPECT_EQ(tags.status, 404) << tags.headers;
  CurlReply upload = curl(bearerPost(readerToken), registry.url() + "/v2/fleet/nav/blobs/uploads/");
  EXPECT_EQ(upload.status, 401);
  EXPECT_NE(headerValue(upload.headers, "WWW-Authenticate").find("error=\"insufficient_scope\""), std::string::npos)
      << upload.headers;

  std::string writerToken = fetchToken(server, "&scope=repository:fleet/nav:pull,push", "writer:wpass");
  CurlReply writerUpload = curl(bearerPost(writerToken), registry.url() + "/v2/fleet/nav/blobs/uploads/");
  EXPECT_EQ(writerUpload.status, 202) << writerUpload.headers;
}

TEST(TokenServer, GrantsEveryRequestedScopeForCrossRepoMount) {
  TokenServer server(twoUsers());
  std::string token =
      fetchToken(server, "&scope=repository%3Afleet%2Fsrc%3Apull&scope=repository:fleet/dst:pull,push", "writer:wpass");
  EXPECT_EQ(claimsOf(token).at("access"), nlohmann::json::parse(R"([
      {"type":"repository","name":"fleet/src","actions":["pull"]},
      {"type":"repository","name":"fleet/dst","actions":["pull","push"]}])"));
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].scopes,
            (std::vector<std::string>{"repository:fleet/src:pull", "repository:fleet/dst:pull,push"}));
  EXPECT_EQ(server.requests()[0].user, "writer");
}

TEST(TokenServer, AnonymousTokenHasNoAccessAndBadPasswordsAre401) {
  TokenServer server(twoUsers());
  RegistryProcess registry(tokenRegistry(server));
  std::string anonymous = fetchToken(server, "&scope=repository:fleet/nav:pull");
  EXPECT_TRUE(claimsOf(anonymous).at("access").empty());
  EXPECT_EQ(curl(bearer(anonymous), registry.url() + "/v2/").status, 200);
  EXPECT_EQ(curl(bearer(anonymous), registry.url() + "/v2/fleet/nav/tags/list").status, 401);

  CurlReply wrong = curl({"-u", "writer:nope"}, server.realm() + "?service=" + server.service());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(server.requestCount(), 2U);
  EXPECT_EQ(server.tokensIssued(), 1U);
}

TEST(TokenServer, PerRepositoryRightsAndInjectedFailures) {
  TokenServerOptions options;
  options.users = {{"ci", "pw", {"pull"}, {{"fleet/own", {"pull", "push", "delete"}}}, {}}};
  TokenServer server(options);
  auto granted = server.grantedAccess("ci", {"repository:fleet/own:push,delete repository:fleet/other:push,pull"});
  ASSERT_EQ(granted.size(), 2U);
  EXPECT_EQ(granted[0].actions, (std::vector<std::string>{"push", "delete"}));
  EXPECT_EQ(granted[1].actions, (std::vector<std::string>{"pull"}));
  EXPECT_TRUE(server.grantedAccess("stranger", {"repository:fleet/own:pull"}).empty());

  server.setFailureStatus(503);
  EXPECT_EQ(curl({"-u", "ci:pw"}, server.realm()).status, 503);
  server.setFailureStatus(0);
  EXPECT_EQ(curl({"-u", "ci:pw"}, server.realm()).status, 200);
  server.clearRequests();
  EXPECT_EQ(server.requestCount(), 0U);
}

TEST(TokenServer, MintedTokenIsAcceptedForItsRepository) {
  TokenServer server;
  RegistryProcess registry(tokenRegistry(server));
  std::string token = server.mintToken("direct", {{"repository", "fleet/nav", {"pull"}}});
  EXPECT_EQ(curl(bearer(token), registry.url() + "/v2/fleet/nav/tags/list").status, 404);  // authorized, empty
  EXPECT_EQ(curl(bearer(token), registry.url() + "/v2/fleet/other/tags/list").status, 401);
}

}  // namespace
}  // namespace autonomy::testing
