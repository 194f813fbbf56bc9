#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/catalog/Catalog.hpp"

using namespace autonomy;
using namespace autonomy::catalog;

namespace {
SeedRecord record(const std::string& repo, const char* status) {
  SeedRecord r;
  r.repo = repo;
  r.tag = "v1";
  r.source = "a:5000/" + repo + ":v1";
  r.destination = "b:5000/" + repo + ":v1";
  r.status = status;
  r.startedAt = "2026-01-01T00:00:00.000Z";
  r.finishedAt = "2026-01-01T00:00:01.000Z";
  return r;
}

struct TempOut {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("catalog-" + std::to_string(::getpid()));
  TempOut() { std::filesystem::remove_all(dir); }
  ~TempOut() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST(Catalog, ResultIsOkPartialOrFailed) {
  Catalog c;
  c.repos = {record("a", kStatusCopied), record("b", kStatusUpToDate)};
  EXPECT_EQ(c.result(), kResultOk);
  c.repos.push_back(record("c", kStatusFailed));
  EXPECT_EQ(c.result(), kResultPartial);
  c.repos = {record("c", kStatusFailed), record("d", kStatusNotAttempted)};
  EXPECT_EQ(c.result(), kResultFailed);
}

TEST(SeedRecord, RoundTripsThroughJsonWithVerificationAndError) {
  auto r = record("fleet/nav", kStatusFailed);
  r.verification.skipped = false;
  r.verification.keyFingerprint = "sha256:ab";
  r.verification.identity = "a:5000/fleet/nav";
  r.attachments.push_back({"sig", "sha256-x.sig", "sha256:cd", "copied"});
  r.sidecars.push_back({"lock", "missing", ""});
  r.error = makeError(ErrorCode::kVerification, "verify fleet/nav:v1: bad signature");
  auto back = seedRecordFromJson(toJson(r), "test");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->verification.keyFingerprint, "sha256:ab");
  EXPECT_FALSE(back->verification.skipped);
  ASSERT_TRUE(back->error);
  EXPECT_EQ(back->error->code, ErrorCode::kVerification);
  EXPECT_EQ(back->attachments.size(), 1u);
  EXPECT_EQ(toJson(*back), toJson(r));
}

TEST(SeedRecord, SkippedVerificationIsTheWordSkipped) {
  EXPECT_EQ(toJson(record("a", kStatusCopied))["verification"], "skipped");
}

TEST(SeedCatalog, RollsUpNestedSeedFilesSorted) {
  TempOut out;
  ASSERT_TRUE(writeSeedRecord(out.dir, record("zeta", kStatusCopied)).ok());
  ASSERT_TRUE(writeSeedRecord(out.dir, record("fleet/nav-stack", kStatusFailed)).ok());
  EXPECT_TRUE(std::filesystem::exists(out.dir / "fleet/nav-stack/seed.json"));
  auto c = buildCatalogFromDir(out.dir);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->repos.size(), 2u);
  EXPECT_EQ(c->repos[0].repo, "fleet/nav-stack");
  EXPECT_EQ(c->from, "a:5000");
  EXPECT_EQ(c->to, "b:5000");
  EXPECT_EQ(c->result(), kResultPartial);
  ASSERT_TRUE(writeCatalog(out.dir, *c).ok());
  EXPECT_TRUE(std::filesystem::exists(out.dir / "catalog.json"));
}

TEST(SeedCatalog, RejectsAMissingDirectoryAndBrokenRecords) {
  TempOut out;
  EXPECT_FALSE(buildCatalogFromDir(out.dir / "nope").ok());
  std::filesystem::create_directories(out.dir / "x");
  std::ofstream(out.dir / "x/seed.json") << "{ not json";
  EXPECT_FALSE(buildCatalogFromDir(out.dir).ok());
}

TEST(SeedRecord, NewVerificationFieldsRoundTrip) {
  auto r = record("fleet/nav", kStatusCopied);
  r.verification.skipped = false;
  r.verification.format = kFormatSigstoreBundle;
  r.verification.predicateType = "https://sigstore.dev/cosign/sign/v1";
  r.verification.tlogEntries = true;
  r.verification.timestamps = true;
  r.verification.tlogVerified = true;
  const auto j = toJson(r);
  EXPECT_EQ(j["verification"]["format"], "sigstore-bundle");
  auto back = seedRecordFromJson(j, "test");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(toJson(*back), j);
  r.verification.format.clear();
  r.verification.predicateType.clear();
  EXPECT_TRUE(toJson(r)["verification"]["format"].is_null());
  EXPECT_TRUE(toJson(r)["verification"]["predicate_type"].is_null());
}

// Names read back from a daemon or elsewhere never become paths outside --out, and no repo's
// record can collide with another's or with catalog.json.
TEST(SeedRecord, WriterRefusesNamesThatEscapeOrCollide) {
  TempOut out;
  for (const std::string repo : {"../../escaped", "/abs", "Upper", "catalog.json", "catalog.json/app", "app/seed.json",
                                 "seed.json", "a/seed.json/b"}) {
    auto st = writeSeedRecord(out.dir / "o", record(repo, kStatusCopied));
    EXPECT_FALSE(st.ok()) << repo;
    EXPECT_FALSE(checkRecordName(repo).ok()) << repo;
  }
  EXPECT_FALSE(std::filesystem::exists(out.dir / "escaped"));
  EXPECT_FALSE(std::filesystem::exists(out.dir / "o" / "catalog.json"));
  for (const std::string repo : {"app", "fleet/catalog.json", "app/seed-json", "seed.json.d/app"}) {
    EXPECT_TRUE(checkRecordName(repo).ok()) << repo;
    EXPECT_TRUE(writeSeedRecord(out.dir / "o", record(repo, kStatusCopied)).ok()) << repo;
  }
}
