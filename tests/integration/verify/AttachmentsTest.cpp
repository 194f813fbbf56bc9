// Attachments travel with the image (SPEC §1 step 6): cosign .sig/.att/.sbom tags and the OCI
// referrers fallback tag reach B byte-for-byte, and B hands them on to C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/integration/verify/VerifyFixture.hpp"

namespace autonomy::testing::verifyit {
namespace {

using nlohmann::json;

class verify_Attachments : public VerifyIntegration {
 protected:
  const std::string repo = "fleet/perception";
  const CosignSigner signer{KeyKind::kEcdsaP256};
  BuiltManifest image;
  PushedSignature sig;
  BuiltManifest att;
  BuiltManifest sbom;
  BuiltManifest referrer;
  BuiltManifest referrersTag;

  BuiltManifest artifact(const ArtifactSpec& spec) {
    auto built = builder().artifact(spec);
    if (!built) throw std::runtime_error("build artifact: " + built.error().message);
    return *built;
  }

  void SetUp() override {
    VerifyIntegration::SetUp();
    image = pushSignedImage(a(), repo, "v1", 71, signer, &sig);

    ArtifactSpec attSpec;
    attSpec.artifactType = "application/vnd.dsse.envelope.v1+json";
    attSpec.layers.emplace_back("application/vnd.dsse.envelope.v1+json",
                                R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})",
                                Annotations{{"predicateType", "https://slsa.dev/provenance/v0.2"}});
    att = artifact(attSpec);
    push(a(), att, repo, image.digest.attachmentTag(".att"));

    ArtifactSpec sbomSpec;
    sbomSpec.artifactType = "text/spdx+json";
    sbomSpec.layers.emplace_back("text/spdx+json", R"({"spdxVersion":"SPDX-2.3","name":"perception"})");
    sbom = artifact(sbomSpec);
    push(a(), sbom, repo, image.digest.attachmentTag(".sbom"));

    ArtifactSpec refSpec;
    refSpec.artifactType = "application/vnd.example.scan-report.v1+json";
    refSpec.layers.emplace_back("application/json", R"({"critical":0,"high":0})");
    refSpec.annotations["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z";
    refSpec.subject = image.descriptor();
    referrer = artifact(refSpec);
    auto index = builder().referrersIndex({referrer});
    ASSERT_TRUE(index) << index.error().message;
    referrersTag = *index;
    ASSERT_TRUE(needsCurlPush(referrersTag));
    push(a(), referrersTag, repo, image.digest.attachmentTag());  // curl: the referrer, then the index

    // Sanity: A holds exactly what was built.
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag(".att")), att.digest.str());
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag(".sbom")), sbom.digest.str());
    ASSERT_EQ(tagDigest(a(), repo, image.digest.attachmentTag()), referrersTag.digest.str());
  }

  // Every attachment tag at `reg` points at the same digest as at A, and the referrer is there.
  void expectAttachmentsAt(const RegistryProcess& reg) {
    SCOPED_TRACE("at " + reg.host());
    EXPECT_EQ(tagDigest(reg, repo, "v1"), image.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, sig.tag), sig.manifestDigest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag(".att")), att.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag(".sbom")), sbom.digest.str());
    EXPECT_EQ(tagDigest(reg, repo, image.digest.attachmentTag()), referrersTag.digest.str());
    const auto links = reg.manifestLinks(repo);
    EXPECT_NE(std::find(links.begin(), links.end(), referrer.digest.str()), links.end())
        << "the referrer the fallback tag lists";
    for (const auto* m : {&att, &sbom, &referrer})
      for (const auto& blob : m->blobs) EXPECT_TRUE(hasBlob(reg, blob.digest)) << blob.digest.str();
  }

  static json attachmentOfKind(const json& seed, const std::string& kind) {
    for (const auto& a : seed["attachments"])
      if (a["kind"] == kind) return a;
    return json();
  }
};

TEST_F(verify_Attachments, CosignTagsAndReferrersFallbackTravelToPeerAndOnToItsNeighbour) {
  const auto key = writeKey(signer);
  const auto ab = sync(a(), b(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(ab.exitCode(), 0) << ab.describe();
  expectAttachmentsAt(b());

  const auto s = seedJson(ab, repo);
  EXPECT_EQ(s["status"], "copied") << s.dump(2);
  const std::pair<std::string, std::string> expected[] = {{"sig", sig.manifestDigest.str()},
                                                          {"att", att.digest.str()},
                                                          {"sbom", sbom.digest.str()},
                                                          {"referrers-tag", referrersTag.digest.str()}};
  for (const auto& [kind, digest] : expected) {
    const auto entry = attachmentOfKind(s, kind);
    ASSERT_TRUE(entry.is_object()) << kind << " missing from " << s["attachments"].dump(2);
    EXPECT_EQ(entry["digest"], digest) << kind;
    EXPECT_EQ(entry["status"], "copied") << kind;
  }

  // B -> C: everything B received is handed on.
  const auto bc = sync(b(), c(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(bc.exitCode(), 0) << bc.describe();
  expectAttachmentsAt(c());

  // Nothing left to do A -> B: up-to-date including attachments.
  const auto again = sync(a(), b(), {repo + ":v1"}, {"--pub-key", key.string()});
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  EXPECT_EQ(seedJson(again, repo)["status"], "up-to-date") << seedJson(again, repo).dump(2);
}

// A repo that fails verification sends none of its attachments either.
TEST_F(verify_Attachments, NoAttachmentTravelsWhenVerificationFails) {
  const CosignSigner other(KeyKind::kEcdsaP256);
  const auto run = sync(a(), b(), {repo + ":v1"}, {"--pub-key", writeKey(other, "other.pub").string()});
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  expectUntouched(b(), repo);
  expectNoBlobs(b());
}

// Air-gapped transfer: A -> an OCI layout on removable media -> B. Verified on the way out and
// again on the way in; what reaches B is byte-for-byte what A holds, attachments included.
class verify_AirGap : public verify_Attachments {
 protected:
  std::filesystem::path media() const { return work() / "usb" / "fleet-layout"; }

  CliRun exportTo(const std::filesystem::path& key) {
    return runCli({"registry", "sync", "--from-registry", a().host(), "--to-layout", media().string(), "--repos",
                   repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  }
  CliRun importFrom(const RegistryProcess& to, const std::filesystem::path& key) {
    return runCli({"registry", "sync", "--from-layout", media().string(), "--to-registry", to.host(), "--repos",
                   repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  }
  json index() const {
    std::ifstream in(media() / "index.json");
    return json::parse(in, nullptr, false);
  }
  void writeIndex(const json& j) const { std::ofstream(media() / "index.json") << j.dump(); }
};

TEST_F(verify_AirGap, ExportToALayoutAndImportAtTheFarSideKeepDigestsSignaturesAndAttachments) {
  const auto key = writeKey(signer);
  const auto out = exportTo(key);
  ASSERT_EQ(out.exitCode(), 0) << out.describe();
  EXPECT_EQ(seedJson(out, repo)["status"], "copied") << seedJson(out, repo).dump(2);
  EXPECT_TRUE(seedJson(out, repo)["verification"].is_object());
  EXPECT_EQ(catalogJson(out)["to"], "oci:" + media().string());
  // An image layout other tools read: refs are repo:tag annotations, blobs by digest.
  ASSERT_TRUE(std::filesystem::exists(media() / "oci-layout"));
  std::map<std::string, std::string> refs;
  const auto written = index();
  for (const auto& m : written["manifests"]) refs[m["annotations"]["org.opencontainers.image.ref.name"]] = m["digest"];
  EXPECT_EQ(refs[repo + ":v1"], image.digest.str());
  EXPECT_EQ(refs[repo + ":" + sig.tag], sig.manifestDigest.str());
  EXPECT_EQ(refs[repo + ":" + image.digest.attachmentTag(".att")], att.digest.str());
  EXPECT_EQ(refs[repo + ":" + image.digest.attachmentTag()], referrersTag.digest.str());
  EXPECT_TRUE(std::filesystem::exists(media() / "blobs" / "sha256" / image.digest.hex()));
  for (const auto& entry : std::filesystem::directory_iterator(media() / "blobs" / "sha256"))
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos) << entry.path();

  const auto in = importFrom(b(), key);
  ASSERT_EQ(in.exitCode(), 0) << in.describe();
  EXPECT_EQ(seedJson(in, repo)["status"], "copied");
  EXPECT_EQ(seedJson(in, repo)["source"], "oci:" + media().string() + "/" + repo + ":v1");
  expectAttachmentsAt(b());
  // Again: nothing to do.
  const auto again = importFrom(b(), key);
  ASSERT_EQ(again.exitCode(), 0) << again.describe();
  EXPECT_EQ(seedJson(again, repo)["status"], "up-to-date");

  // skopeo reads the layout: the image goes on to a third registry with its digest.
  ASSERT_TRUE(pushWithSkopeo(media(), repo + ":v1", c().host() + "/" + repo + ":v1"));
  EXPECT_EQ(tagDigest(c(), repo, "v1"), image.digest.str());
}

TEST_F(verify_AirGap, ImportRefusesAnEditedBlobASwappedManifestAMissingSignatureAndAWrongKey) {
  const auto key = writeKey(signer);
  ASSERT_EQ(exportTo(key).exitCode(), 0);
  const auto pristine = media().parent_path() / "pristine";
  std::filesystem::copy(media(), pristine, std::filesystem::copy_options::recursive);
  auto restore = [&] {
    std::filesystem::remove_all(media());
    std::filesystem::copy(pristine, media(), std::filesystem::copy_options::recursive);
  };
  auto expectRefused = [&](const std::string& what, const std::string& needle) {
    SCOPED_TRACE(what);
    const auto run = importFrom(b(), key);
    EXPECT_EQ(run.exitCode(), 1) << run.describe();
    const auto s = seedJson(run, repo);
    EXPECT_EQ(s["status"], "failed") << s.dump(2);
    EXPECT_NE(s["error"]["message"].get<std::string>().find(needle), std::string::npos) << s.dump(2);
    EXPECT_EQ(tagDigest(b(), repo, "v1"), "") << "B shows the tag";
    // Refused before anything was written, except where only the upload's hash can tell.
    if (needle != "hash") {
      EXPECT_TRUE(writeRequests(b(), repo).empty()) << "B was written to";
    }
  };

  // The tag moved to another manifest (the signature's): what it names is not what was signed.
  auto j = index();
  for (auto& m : j["manifests"])
    if (m["annotations"]["org.opencontainers.image.ref.name"] == repo + ":v1") {
      m["digest"] = sig.manifestDigest.str();
      m["size"] = std::filesystem::file_size(media() / "blobs" / "sha256" / sig.manifestDigest.hex());
    }
  writeIndex(j);
  expectRefused("swapped manifest", "signature");
  restore();

  // The manifest file replaced by other bytes under the same name.
  std::filesystem::copy_file(media() / "blobs" / "sha256" / sig.manifestDigest.hex(),
                             media() / "blobs" / "sha256" / image.digest.hex(),
                             std::filesystem::copy_options::overwrite_existing);
  expectRefused("manifest bytes replaced", "does not hash");
  restore();

  // The signature left out of the layout.
  j = index();
  auto& list = j["manifests"];
  for (auto it = list.begin(); it != list.end();)
    it = (*it)["annotations"]["org.opencontainers.image.ref.name"] == repo + ":" + sig.tag ? list.erase(it) : it + 1;
  writeIndex(j);
  expectRefused("signature removed", "signature");
  restore();

  // A key that did not sign it.
  const CosignSigner other(KeyKind::kEcdsaP256);
  const auto run = importFrom(b(), writeKey(other, "other.pub"));
  EXPECT_EQ(run.exitCode(), 1) << run.describe();
  expectUntouched(b(), repo);

  // A layer edited on the medium: its bytes no longer hash to the digest; never committed at B.
  const auto layer = image.blobs.back().digest;
  {
    std::fstream f(media() / "blobs" / "sha256" / layer.hex(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('X');
  }
  expectRefused("edited blob", "hash");
  EXPECT_FALSE(hasBlob(b(), layer));

  // Not a layout at all: a clear usage error.
  const auto notLayout = runCli({"registry", "sync", "--from-layout", work().string(), "--to-registry", b().host(),
                                 "--repos", repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  EXPECT_EQ(notLayout.exitCode(), 2) << notLayout.describe();
  EXPECT_NE(notLayout.result.stderrText.find("is not an OCI image layout"), std::string::npos) << notLayout.describe();
}

// The same through an OCI archive (one file on the medium): written under a temporary name and
// renamed only when whole; read in place; a truncated copy is refused before B is touched.
TEST_F(verify_AirGap, AnArchiveCarriesTheSameAndATruncatedOneIsRefused) {
  const auto key = writeKey(signer);
  const auto file = work() / "usb" / "fleet.tar";
  std::filesystem::create_directories(file.parent_path());
  const auto out = runCli({"registry", "sync", "--from-registry", a().host(), "--to-archive", file.string(), "--repos",
                           repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  ASSERT_EQ(out.exitCode(), 0) << out.describe();
  EXPECT_EQ(catalogJson(out)["to"], "oci-archive:" + file.string());
  ASSERT_TRUE(std::filesystem::exists(file));
  for (const auto& entry : std::filesystem::directory_iterator(file.parent_path()))
    EXPECT_EQ(entry.path().filename().string(), "fleet.tar") << "left behind: " << entry.path();

  // GNU tar lists it as an OCI layout.
  auto listing = runCommand({"tar", "-tf", file.string()});
  ASSERT_EQ(listing.exitCode, 0) << listing.describe();
  EXPECT_NE(listing.stdoutText.find("oci-layout"), std::string::npos);
  EXPECT_NE(listing.stdoutText.find("blobs/sha256/" + image.digest.hex()), std::string::npos);

  // A copy cut short on the way: refused with a clear error, B untouched.
  const auto cut = work() / "cut.tar";
  std::filesystem::copy_file(file, cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) / 2);
  const auto refused = runCli({"registry", "sync", "--from-archive", cut.string(), "--to-registry", b().host(),
                               "--repos", repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  EXPECT_EQ(refused.exitCode(), 2) << refused.describe();
  EXPECT_NE(refused.result.stderrText.find("truncated"), std::string::npos) << refused.describe();
  expectUntouched(b(), repo);

  const auto in = runCli({"registry", "sync", "--from-archive", file.string(), "--to-registry", b().host(), "--repos",
                          repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  ASSERT_EQ(in.exitCode(), 0) << in.describe();
  EXPECT_EQ(seedJson(in, repo)["source"], "oci-archive:" + file.string() + "/" + repo + ":v1");
  expectAttachmentsAt(b());

  // skopeo reads the archive too.
  auto sk =
      runCommand({"skopeo", "--insecure-policy", "copy", "--preserve-digests", "--dest-tls-verify=false",
                  "oci-archive:" + file.string() + ":" + repo + ":v1", "docker://" + c().host() + "/" + repo + ":v1"});
  ASSERT_EQ(sk.exitCode, 0) << sk.describe();
  EXPECT_EQ(tagDigest(c(), repo, "v1"), image.digest.str());

  // An archive is written whole, never added to.
  const auto again = runCli({"registry", "sync", "--from-registry", a().host(), "--to-archive", file.string(),
                             "--repos", repo + ":v1", "--allow-insecure-registry", "--pub-key", key.string()});
  EXPECT_EQ(again.exitCode(), 2) << again.describe();
  EXPECT_NE(again.result.stderrText.find("never added to"), std::string::npos) << again.describe();
}

// The sneakernet delta: B's inventory comes back to the connected side, and the next export
// leaves out the base layer B already holds. A registry without that layer refuses the import
// before tagging.
TEST_F(verify_AirGap, AnExportWithTheFarSidesInventoryLeavesOutWhatItHolds) {
  const auto key = writeKey(signer);
  const std::string app = "fleet/app";
  const LayerSpec base(256 * 1024, 901);
  auto build = [&](std::uint64_t seed) {
    ImageSpec spec({base, LayerSpec(16 * 1024, seed)});
    auto built = builder().image(spec);
    if (!built) throw std::runtime_error(built.error().message);
    return *built;
  };
  const auto v1 = build(902);
  const auto v2 = build(903);
  for (const auto& [tag, img] : {std::pair{std::string("v1"), v1}, std::pair{std::string("v2"), v2}}) {
    push(a(), img, app, tag);
    pushSignature(a(), app, img.digest, {signer.signImage(img.digest, identityFor(a(), app))});
  }
  // B got v1 on an earlier trip.
  ASSERT_EQ(sync(a(), b(), {app + ":v1"}, {"--pub-key", key.string()}).exitCode(), 0);

  const auto have = work() / "have.json";
  // runCli adds `--out <have.json>`: the inventory's output file.
  const auto inv = runCli(
      {"registry", "inventory", "--registry", b().host(), "--repos", app + ":v1", "--allow-insecure-registry"}, have);
  ASSERT_EQ(inv.exitCode(), 0) << inv.describe();
  std::ifstream haveIn(have);
  const auto haveJson = json::parse(haveIn, nullptr, false);
  ASSERT_TRUE(haveJson.is_object()) << inv.describe();
  EXPECT_EQ(haveJson["repos"][app].size(), 3u) << haveJson.dump(2);  // config, base, top layer of v1

  auto exportV2 = [&](const std::filesystem::path& dir, bool withHave) {
    std::vector<std::string> args{
        "registry", "sync",      "--from-registry",           a().host(),  "--to-layout", dir.string(),
        "--repos",  app + ":v2", "--allow-insecure-registry", "--pub-key", key.string()};
    if (withHave) args.insert(args.end(), {"--have", have.string()});
    return runCli(args);
  };
  const auto full = exportV2(work() / "full", false);
  ASSERT_EQ(full.exitCode(), 0) << full.describe();
  const auto partial = exportV2(work() / "partial", true);
  ASSERT_EQ(partial.exitCode(), 0) << partial.describe();
  const auto baseSize = v1.blobs[1].size;
  ASSERT_EQ(v1.blobs[1].digest, v2.blobs[1].digest) << "the base layer is shared";
  const auto fullBytes = seedJson(full, app)["bytes_sent"].get<std::uint64_t>();
  const auto partialBytes = seedJson(partial, app)["bytes_sent"].get<std::uint64_t>();
  EXPECT_EQ(fullBytes - partialBytes, baseSize) << seedJson(partial, app).dump(2);
  EXPECT_EQ(seedJson(partial, app)["bytes_present"].get<std::uint64_t>(), baseSize);
  EXPECT_EQ(catalogJson(partial)["bytes_present"].get<std::uint64_t>(), baseSize);
  EXPECT_FALSE(std::filesystem::exists(work() / "partial" / "blobs" / "sha256" / v2.blobs[1].digest.hex()));
  std::ifstream partialIndex(work() / "partial" / "index.json");
  const auto pj = json::parse(partialIndex, nullptr, false);
  EXPECT_TRUE(pj["annotations"].contains("org.autonomy-syncd.layout.partial")) << pj.dump(2);

  // At a registry that does not hold the base layer: refused before the tag, saying what to do.
  const auto refused =
      runCli({"registry", "sync", "--from-layout", (work() / "partial").string(), "--to-registry", c().host(),
              "--repos", app + ":v2", "--allow-insecure-registry", "--pub-key", key.string()});
  EXPECT_EQ(refused.exitCode(), 1) << refused.describe();
  EXPECT_NE(seedJson(refused, app)["error"]["message"].get<std::string>().find("left out of this partial export"),
            std::string::npos)
      << seedJson(refused, app).dump(2);
  EXPECT_EQ(tagDigest(c(), app, "v2"), "");

  // At B, which holds it: complete, and the image is whole.
  const auto in = runCli({"registry", "sync", "--from-layout", (work() / "partial").string(), "--to-registry",
                          b().host(), "--repos", app + ":v2", "--allow-insecure-registry", "--pub-key", key.string()});
  ASSERT_EQ(in.exitCode(), 0) << in.describe();
  EXPECT_EQ(tagDigest(b(), app, "v2"), v2.digest.str());
  for (const auto& blob : v2.blobs) EXPECT_TRUE(hasBlob(b(), blob.digest)) << blob.digest.str();

  // --have is for exports only.
  const auto wrong =
      runCli({"registry", "sync", "--from-registry", a().host(), "--to-registry", b().host(), "--repos", app + ":v2",
              "--allow-insecure-registry", "--pub-key", key.string(), "--have", have.string()});
  EXPECT_EQ(wrong.exitCode(), 2) << wrong.describe();
}

}  // namespace
}  // namespace autonomy::testing::verifyit
