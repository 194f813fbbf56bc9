#include "api/Routes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process/TempDir.hpp"
#include "tests/support/signer/CosignSigner.hpp"
#include "tests/unit/api/FakeBackend.hpp"

namespace autonomy::api {
namespace {

using nlohmann::json;

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

class RoutesTest : public ::testing::Test {
 protected:
  ApiResponse call(std::string method, std::string target, std::string body = {},
                   std::map<std::string, std::string> headers = {}, bool withToken = true) {
    ApiRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    if (withToken && !r.headers.count("authorization")) r.headers["authorization"] = std::string("Bearer ") + kToken;
    return router_.handle(r);
  }
  static json bodyOf(const ApiResponse& r) { return json::parse(r.body); }
  static std::string errorCode(const ApiResponse& r) { return bodyOf(r)["error"]["code"]; }

  std::string submit(const json& body = validJob()) {
    auto r = call("POST", "/v1/jobs", body.dump());
    EXPECT_EQ(r.status, 202) << r.body;
    return bodyOf(r)["id"];
  }
  static json validJob() {
    return {{"from_registry", "edge-a.local:5000"},
            {"to_registry", "edge-b.local:5000"},
            {"repos", {"robot-behavior:v1", "fleet/nav-stack:v2"}},
            {"key", "fleet"}};
  }

  autonomy::testing::TempDir dir_{"routes"};
  testing::FakeBackend backend_{dir_.path()};
  Router router_{backend_, *BearerAuth::fromToken(kToken)};
};

TEST_F(RoutesTest, HealthzNeedsNoToken) {
  auto r = call("GET", "/healthz", {}, {}, false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["status"], "ok");
}

TEST_F(RoutesTest, ReadyzFollowsTheBackend) {
  EXPECT_EQ(call("GET", "/readyz", {}, {}, false).status, 200);
  backend_.ready_ = false;
  auto r = call("GET", "/readyz", {}, {}, false);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(errorCode(r), "not_ready");
  EXPECT_EQ(call("POST", "/v1/jobs", validJob().dump()).status, 503);
}

TEST_F(RoutesTest, EveryV1CallNeedsTheToken) {
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/jobs"},
                                                        {"POST", "/v1/jobs"},
                                                        {"GET", "/v1/jobs/0123456789abcdef"},
                                                        {"GET", "/v1/schedules"},
                                                        {"GET", "/v1/nothing-here"}}) {
    auto r = call(method, target, {}, {}, false);
    EXPECT_EQ(r.status, 401) << method << ' ' << target;
    EXPECT_EQ(errorCode(r), "unauthorized");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"autonomy-syncd\"");
  }
  EXPECT_EQ(call("GET", "/v1/jobs", {}, {{"authorization", "Bearer wrong-token-wrong-token"}}).status, 401);
  EXPECT_EQ(call("GET", "/v1/jobs", {}, {{"authorization", kToken}}).status, 401) << "scheme missing";
  EXPECT_EQ(call("GET", "/v1/jobs", {}, {{"authorization", std::string("Basic ") + kToken}}).status, 401);
  EXPECT_EQ(call("GET", "/v1/jobs", {}, {{"authorization", std::string("bearer ") + kToken}}).status, 200);
}

TEST_F(RoutesTest, WithoutAConfiguredTokenTheApiIsClosed) {
  Router closed(backend_, std::nullopt);
  ApiRequest r;
  r.method = "GET";
  r.target = "/v1/jobs";
  r.headers["authorization"] = std::string("Bearer ") + kToken;
  EXPECT_EQ(closed.handle(r).status, 401);
}

TEST_F(RoutesTest, TokensShorterThanSixteenCharactersAreRefused) {
  EXPECT_FALSE(BearerAuth::fromToken("short").ok());
  std::ofstream(dir_.path() / "token") << "  " << kToken << "\n";
  auto fromFile = BearerAuth::fromFile(dir_.path() / "token");
  ASSERT_TRUE(fromFile.ok());
  EXPECT_TRUE(fromFile->accepts(std::string("Bearer ") + kToken));
  EXPECT_FALSE(BearerAuth::fromFile(dir_.path() / "missing").ok());
}

TEST_F(RoutesTest, SubmitAnswers202WithTheJob) {
  auto r = call("POST", "/v1/jobs", validJob().dump());
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = bodyOf(r);
  EXPECT_EQ(j["state"], "queued");
  EXPECT_EQ(j["from_registry"], "edge-a.local:5000");
  EXPECT_EQ(j["to_registry"], "edge-b.local:5000");
  EXPECT_EQ(j["verification"]["mode"], "key");
  EXPECT_EQ(j["verification"]["key"], "fleet");
  ASSERT_EQ(j["repos"].size(), 2u);
  EXPECT_EQ(j["repos"][1]["repo"], "fleet/nav-stack");
  EXPECT_EQ(j["repos"][1]["tag"], "v2");
  EXPECT_EQ(j["repos"][1]["state"], "pending");
  EXPECT_TRUE(j["repos"][1]["error"].is_null());
  EXPECT_EQ(r.header("Location"), "/v1/jobs/" + j["id"].get<std::string>());
  EXPECT_EQ(r.route, "/v1/jobs");
}

TEST_F(RoutesTest, InlinePemIsNeverEchoed) {
  autonomy::testing::CosignSigner signer(autonomy::testing::KeyKind::kEcdsaP256);
  auto body = validJob();
  body.erase("key");
  body["pub_key_pem"] = signer.publicPem();
  auto r = call("POST", "/v1/jobs", body.dump());
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(r.body.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(bodyOf(r)["verification"]["mode"], "pub_key_pem");
  auto got = call("GET", "/v1/jobs/" + bodyOf(r)["id"].get<std::string>());
  EXPECT_EQ(got.body.find("BEGIN PUBLIC KEY"), std::string::npos);
}

TEST_F(RoutesTest, BadFieldsAre400sNamingTheField) {
  auto body = validJob();
  body["repos"] = {"robot-behavior:v1", "Not/Valid:v1"};
  auto r = call("POST", "/v1/jobs", body.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "invalid_request");
  EXPECT_EQ(bodyOf(r)["error"]["field"], "repos[1]");

  body = validJob();
  body["surprise"] = 1;
  r = call("POST", "/v1/jobs", body.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["error"]["field"], "surprise");

  r = call("POST", "/v1/jobs", "not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["error"]["field"], "body");

  body = validJob();
  body["key"] = "unknown-key";
  r = call("POST", "/v1/jobs", body.dump());
  EXPECT_EQ(r.status, 400) << "the backend's field-named refusal";
  EXPECT_EQ(bodyOf(r)["error"]["field"], "key");
}

// error.field comes from the Error, never from the message: a message that merely starts with
// "word: " names no field.
TEST(ErrorResponse, TheFieldIsTheErrorsNotTheMessagesPrefix) {
  auto r = errorResponse(makeError(ErrorCode::kUsage, "repos: looks like a field but the error names none"));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(json::parse(r.body)["error"].contains("field")) << r.body;
  r = errorResponse(fieldError("to_layout", "is not under a media_dirs directory"));
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "to_layout");
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "to_layout: is not under a media_dirs directory");
  r = errorResponse(fieldError("key", "the config's key file is unreadable", ErrorCode::kConfig));
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "key") << "any code may name a field";
}

TEST_F(RoutesTest, BodiesOverOneMebibyteAre413) {
  std::string huge(kMaxBodyBytes + 1, ' ');
  auto r = call("POST", "/v1/jobs", huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(errorCode(r), "payload_too_large");
}

TEST_F(RoutesTest, IdempotencyKeyReplaysTheJobAndRefusesADifferentRequest) {
  std::map<std::string, std::string> key{{"idempotency-key", "attempt-1"}};
  auto first = call("POST", "/v1/jobs", validJob().dump(), key);
  ASSERT_EQ(first.status, 202);
  auto again = call("POST", "/v1/jobs", validJob().dump(), key);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(bodyOf(again)["id"], bodyOf(first)["id"]);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(bodyOf(first)["idempotency_key"], "attempt-1");
  auto other = validJob();
  other["keep_going"] = true;
  auto conflict = call("POST", "/v1/jobs", other.dump(), key);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(errorCode(conflict), "idempotency_conflict");
  auto bad = call("POST", "/v1/jobs", validJob().dump(), {{"idempotency-key", "has space"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bodyOf(bad)["error"]["field"], "Idempotency-Key");
}

// Listings render a finished job once (RenderedJobs); a job that is not finished yet is rendered
// afresh each time, so its progress and its final state show; the page is the same JSON either way.
TEST_F(RoutesTest, ListingsShowLiveJobsAfreshAndFinishedOnesAsRendered) {
  const auto id = submit();
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs"))["jobs"][0]["state"], "queued");
  backend_.job(id).state = "running";
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs"))["jobs"][0]["state"], "running");
  backend_.job(id).state = "succeeded";
  const auto first = call("GET", "/v1/jobs");
  EXPECT_EQ(bodyOf(first)["jobs"][0]["state"], "succeeded");
  EXPECT_EQ(bodyOf(first)["jobs"][0]["id"], id);
  const auto again = call("GET", "/v1/jobs");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(bodyOf(again)["jobs"][0], bodyOf(call("GET", "/v1/jobs/" + id)));  // as GET /v1/jobs/{id} renders it
}

TEST(RenderedJobs, KeepsTheNewestWithinItsBounds) {
  RenderedJobs cache(2, 10);
  cache.put("a", "aaaa");
  cache.put("b", "bbbb");
  cache.put("c", "cccc");  // over 2 entries: "a" goes
  EXPECT_EQ(cache.find("a"), nullptr);
  ASSERT_NE(cache.find("c"), nullptr);
  EXPECT_EQ(*cache.find("c"), "cccc");
  cache.put("d", "dddddddd");  // over 10 bytes: "b" and "c" go
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), 8u);
  cache.put("huge", std::string(11, 'x'));  // larger than the whole budget: not kept
  EXPECT_EQ(cache.find("huge"), nullptr);
}

TEST_F(RoutesTest, ListFiltersByStateAndPaginates) {
  std::vector<std::string> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) ids.push_back(submit());
  backend_.job(ids[1]).state = "failed";
  auto page = call("GET", "/v1/jobs?limit=2");
  ASSERT_EQ(page.status, 200);
  auto j = bodyOf(page);
  ASSERT_EQ(j["jobs"].size(), 2u);
  EXPECT_EQ(j["jobs"][0]["id"], ids[4]);
  EXPECT_EQ(j["next_after"], ids[3]);
  auto next = bodyOf(call("GET", "/v1/jobs?limit=2&after=" + ids[3]));
  EXPECT_EQ(next["jobs"][0]["id"], ids[2]);
  auto last = bodyOf(call("GET", "/v1/jobs?limit=2&after=" + ids[1]));
  EXPECT_EQ(last["jobs"].size(), 1u);
  EXPECT_TRUE(last["next_after"].is_null());
  auto failed = bodyOf(call("GET", "/v1/jobs?state=failed"));
  ASSERT_EQ(failed["jobs"].size(), 1u);
  EXPECT_EQ(failed["jobs"][0]["id"], ids[1]);

  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?state=done"))["error"]["field"], "state");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?limit=0"))["error"]["field"], "limit");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?limit=501"))["error"]["field"], "limit");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?limit=x"))["error"]["field"], "limit");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?after=nope"))["error"]["field"], "after");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?after=ffffffffffffffff"))["error"]["field"], "after");
  EXPECT_EQ(bodyOf(call("GET", "/v1/jobs?sort=asc"))["error"]["field"], "sort");
}

TEST_F(RoutesTest, UnknownJobIdsAre404) {
  for (const char* target : {"/v1/jobs/ffffffffffffffff", "/v1/jobs/not-an-id", "/v1/jobs/..%2F..%2Fetc",
                             "/v1/jobs/ffffffffffffffff/catalog", "/v1/jobs/ffffffffffffffff/events"}) {
    auto r = call("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(errorCode(r), "not_found");
  }
  EXPECT_EQ(call("POST", "/v1/jobs/ffffffffffffffff/cancel").status, 404);
}

TEST_F(RoutesTest, GetJobReturnsIt) {
  auto id = submit();
  auto r = call("GET", "/v1/jobs/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["id"], id);
  EXPECT_EQ(bodyOf(r)["links"]["catalog"], "/v1/jobs/" + id + "/catalog");
  EXPECT_EQ(r.route, "/v1/jobs/{id}");
}

TEST_F(RoutesTest, ErrorTextThatIsNotUtf8IsServedReplaced) {
  auto id = submit();
  backend_.job(id).repos[0].error = makeError(ErrorCode::kRegistry, "registry said \xff\xfe");
  auto r = call("GET", "/v1/jobs/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(bodyOf(r)["repos"][0]["error"]["message"].get<std::string>().find("registry said"), std::string::npos);
}

TEST_F(RoutesTest, CancelAnswersByWhatHappened) {
  auto queued = submit();
  auto r = call("POST", "/v1/jobs/" + queued + "/cancel");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["state"], "cancelled");
  auto again = call("POST", "/v1/jobs/" + queued + "/cancel");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(errorCode(again), "already_finished");
  auto running = submit();
  backend_.job(running).state = "running";
  EXPECT_EQ(call("POST", "/v1/jobs/" + running + "/cancel").status, 202);
  EXPECT_EQ(call("GET", "/v1/jobs/" + running + "/cancel").status, 405);
}

TEST_F(RoutesTest, CatalogIsServedOnceTheJobFinished) {
  auto id = submit();
  backend_.job(id).state = "running";
  auto early = call("GET", "/v1/jobs/" + id + "/catalog");
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(errorCode(early), "not_finished");
  backend_.job(id).state = "succeeded";
  EXPECT_EQ(call("GET", "/v1/jobs/" + id + "/catalog").status, 404) << "finished but no file";
  std::filesystem::create_directories(dir_.path() / id);
  std::ofstream(dir_.path() / id / "catalog.json") << R"({"result":"ok","repos":[]})";
  auto r = call("GET", "/v1/jobs/" + id + "/catalog");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["result"], "ok");
}

TEST_F(RoutesTest, EventsHandOverToTheStream) {
  auto id = submit();
  auto r = call("GET", "/v1/jobs/" + id + "/events");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.streamJobId, id);
  EXPECT_EQ(r.contentType, "text/event-stream");
}

TEST_F(RoutesTest, SchedulesAreListedAndRunOnDemand) {
  auto list = call("GET", "/v1/schedules");
  ASSERT_EQ(list.status, 200);
  auto s = bodyOf(list)["schedules"][0];
  EXPECT_EQ(s["name"], "reseed-edge-b");
  EXPECT_EQ(s["trigger"], "every 30m");
  EXPECT_EQ(s["last_run"], "2025-01-01T00:00:00.000Z");
  auto run = call("POST", "/v1/schedules/reseed-edge-b/run");
  ASSERT_EQ(run.status, 202);
  EXPECT_EQ(bodyOf(run)["schedule"], "reseed-edge-b");
  EXPECT_EQ(call("POST", "/v1/schedules/nope/run").status, 404);
  EXPECT_EQ(call("GET", "/v1/schedules/reseed-edge-b/run").status, 405);
}

TEST_F(RoutesTest, ATriggerTakesAnEmptyBodyOrACloudEvent) {
  auto empty = call("POST", "/v1/schedules/reseed-edge-b/trigger");
  ASSERT_EQ(empty.status, 202) << empty.body;
  EXPECT_EQ(bodyOf(empty)["outcome"], "started");
  EXPECT_EQ(bodyOf(empty)["job"]["schedule"], "reseed-edge-b");
  EXPECT_EQ(empty.header("Location"), "/v1/jobs/" + bodyOf(empty)["job"]["id"].get<std::string>());
  EXPECT_EQ(backend_.lastTriggerFrom, "");

  const json event{{"specversion", "1.0"},
                   {"id", "0123456789abcdef"},
                   {"source", "//edge-b/autonomy-syncd"},
                   {"type", "dev.autonomy.syncd.job.succeeded"},
                   {"data", {{"job", "0123456789abcdef"}}}};
  backend_.triggerOutcome = jobs::TriggerOutcome::kAfterRunning;
  auto r = call("POST", "/v1/schedules/reseed-edge-b/trigger", event.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(bodyOf(r)["outcome"], "after_running");
  EXPECT_EQ(backend_.lastTriggerFrom,
            "//edge-b/autonomy-syncd (event 0123456789abcdef, dev.autonomy.syncd.job.succeeded)");

  backend_.triggerOutcome = jobs::TriggerOutcome::kDisabled;
  auto disabled = call("POST", "/v1/schedules/reseed-edge-b/trigger");
  EXPECT_EQ(disabled.status, 409);
  EXPECT_EQ(errorCode(disabled), "schedule_disabled");

  EXPECT_EQ(call("POST", "/v1/schedules/nope/trigger").status, 404);
  EXPECT_EQ(call("GET", "/v1/schedules/reseed-edge-b/trigger").status, 405);
  EXPECT_EQ(call("POST", "/v1/schedules/reseed-edge-b/trigger", {}, {}, false).status, 401);
}

TEST_F(RoutesTest, ATriggerRefusesBodiesThatAreNotCloudEvents) {
  const auto field = [&](const std::string& body) {
    auto r = call("POST", "/v1/schedules/reseed-edge-b/trigger", body);
    EXPECT_EQ(r.status, 400) << body;
    const auto err = bodyOf(r)["error"];
    return err.value("field", std::string("(none)"));
  };
  EXPECT_EQ(field("not json"), "(none)");
  EXPECT_EQ(field("[1]"), "(none)");
  EXPECT_EQ(field(R"({"id":"1","source":"s","type":"t"})"), "specversion");
  EXPECT_EQ(field(R"({"specversion":"0.3","id":"1","source":"s","type":"t"})"), "specversion");
  EXPECT_EQ(field(R"({"specversion":"1.0","source":"s","type":"t"})"), "id");
  EXPECT_EQ(field(R"({"specversion":"1.0","id":"1","source":"s\nforged log line","type":"t"})"), "source");
  EXPECT_EQ(field(R"({"specversion":"1.0","id":"1","source":"s","type":7})"), "type");
}

TEST_F(RoutesTest, WrongMethodsAre405WithAllow) {
  auto r = call("DELETE", "/v1/jobs");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, POST");
  EXPECT_EQ(call("POST", "/healthz", {}, {}, false).status, 405);
}

TEST_F(RoutesTest, UnknownPathsAre404) {
  EXPECT_EQ(call("GET", "/", {}, {}, false).status, 404);
  EXPECT_EQ(call("GET", "/v2/jobs", {}, {}, false).status, 404);
  EXPECT_EQ(call("GET", "/v1/jobs/ffffffffffffffff/other").status, 404);
  EXPECT_EQ(call("GET", "bad-target", {}, {}, false).status, 400);
}

// packaging/grafana/autonomy-syncd.json queries only series /metrics exports (a renamed metric
// would leave a panel silently empty).
TEST_F(RoutesTest, TheGrafanaDashboardQueriesExportedMetrics) {
  submit();
  call("GET", "/v1/jobs");
  const auto metrics = call("GET", "/metrics", {}, {}, false).body;
  std::ifstream in(std::string(AUTONOMY_SOURCE_DIR) + "/packaging/grafana/autonomy-syncd.json");
  ASSERT_TRUE(in) << "packaging/grafana/autonomy-syncd.json is missing";
  const auto dashboard = nlohmann::json::parse(in);
  const std::regex name("autonomy_syncd_[a-z_]+");
  std::set<std::string> queried;
  for (const auto& panel : dashboard.at("panels"))
    for (const auto& target : panel.at("targets")) {
      const auto expr = target.at("expr").get<std::string>();
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name); it != std::sregex_iterator(); ++it) {
        std::string metric = it->str();
        for (const std::string suffix : {"_bucket", "_sum", "_count"})
          if (metric.ends_with(suffix)) metric.resize(metric.size() - suffix.size());
        queried.insert(metric);
      }
    }
  EXPECT_GE(queried.size(), 10u);
  for (const auto& metric : queried)
    EXPECT_NE(metrics.find("# TYPE " + metric + " "), std::string::npos) << metric << " is not exported";
}

TEST_F(RoutesTest, MetricsExposeJobsReposBytesVerificationAndLatency) {
  submit();
  call("GET", "/v1/jobs");
  call("GET", "/v1/jobs", {}, {}, false);
  auto r = call("GET", "/metrics", {}, {}, false);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType.rfind("text/plain; version=0.0.4", 0), 0u);
  const auto& m = r.body;
  const std::string notifyUrl = "\"https://edge-c.local:7480/v1/schedules/x/trigger\"";
  for (const std::string& line : std::vector<std::string>{
           "autonomy_syncd_jobs{state=\"queued\"} 1", "autonomy_syncd_repos_total{outcome=\"copied\"} 3",
           "autonomy_syncd_bytes_copied_total 4096", "autonomy_syncd_verification_failures_total 2",
           "autonomy_syncd_registry_bytes_copied_total{registry=\"edge-b.local:5000\"} 4096",
           "autonomy_syncd_repo_failures_total{class=\"network\"} 1",
           "# TYPE autonomy_syncd_http_request_duration_seconds histogram",
           "autonomy_syncd_http_request_duration_seconds_count{route=\"/v1/jobs\"} 2",
           "autonomy_syncd_http_request_duration_seconds_bucket{route=\"/v1/jobs\",le=\"+Inf\"} 2",
           "autonomy_syncd_http_requests_total{route=\"/v1\",code=\"401\"} 1",
           "autonomy_syncd_schedule_triggers_total{schedule=\"reseed-edge-b\",outcome=\"started\"} 2",
           "autonomy_syncd_notify_events_total{url=" + notifyUrl + ",result=\"sent\"} 5",
           "autonomy_syncd_notify_events_total{url=" + notifyUrl + ",result=\"dropped\"} 1",
           "autonomy_syncd_notify_queued_events{url=" + notifyUrl + "} 2"})
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
}

}  // namespace
}  // namespace autonomy::api
