// The in-toto statement inside a bundle: what binds the signature to an image.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/verify/InTotoStatement.hpp"

using namespace autonomy;
using namespace autonomy::verify;
using ::testing::HasSubstr;

namespace {
const oci::Digest kImage = oci::Digest::ofBytes("image");

std::string statement(const std::string& subjects, const std::string& predicate = std::string(kCosignSignPredicate),
                      const std::string& type = std::string(kStatementV1)) {
  return R"({"_type":")" + type + R"(","subject":)" + subjects + R"(,"predicateType":")" + predicate + R"("})";
}
std::string subjectOf(const oci::Digest& d) { return R"([{"digest":{"sha256":")" + d.hex() + R"("}}])"; }
}  // namespace

TEST(InTotoStatement, CosignSignStatementNamingTheImageIsAccepted) {
  auto r = parseImageSignatureStatement(statement(subjectOf(kImage)), kImage);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sha256Subjects, std::vector<std::string>{kImage.str()});
}

TEST(InTotoStatement, AnySubjectMayNameTheImage) {
  const std::string subjects =
      R"([{"name":"x","digest":{"sha512":"00"}},{"digest":{"sha256":")" + kImage.hex() + R"("}}])";
  EXPECT_TRUE(parseImageSignatureStatement(statement(subjects), kImage).ok());
}

TEST(InTotoStatement, RefusalsSayWhy) {
  const auto other = oci::Digest::ofBytes("other");
  EXPECT_THAT(parseImageSignatureStatement(statement(subjectOf(other)), kImage).error().message, HasSubstr("replayed"));
  EXPECT_THAT(parseImageSignatureStatement(statement(subjectOf(kImage), "https://slsa.dev/provenance/v1"), kImage)
                  .error()
                  .message,
              HasSubstr("attestation"));
  EXPECT_THAT(parseImageSignatureStatement(statement(subjectOf(kImage), std::string(kCosignSignPredicate), "x"), kImage)
                  .error()
                  .message,
              HasSubstr("_type 'x'"));
  EXPECT_THAT(parseInTotoStatement(statement("[]")).error().message, HasSubstr("no \"subject\" list"));
  EXPECT_THAT(parseInTotoStatement(statement(R"([{"digest":{"sha256":"zz"}}])")).error().message,
              HasSubstr("malformed sha256"));
  EXPECT_THAT(parseInTotoStatement("{").error().message, HasSubstr("not JSON"));
  EXPECT_THAT(parseImageSignatureStatement(statement(R"([{"digest":{"sha512":"00"}}])"), kImage).error().message,
              HasSubstr("no sha256 subject"));
}
