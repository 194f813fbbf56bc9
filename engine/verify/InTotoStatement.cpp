#include "engine/verify/InTotoStatement.hpp"

#include "engine/core/BoundedJson.hpp"

namespace autonomy::verify {

namespace {

constexpr std::size_t kMaxSubjects = 1024;

Error statementError(std::string what) {
  return makeError(ErrorCode::kVerification, "in-toto statement " + std::move(what));
}

}  // namespace

Result<InTotoStatement> parseInTotoStatement(std::string_view payload) {
  auto parsed = parseBoundedJson(payload, JsonBounds{}, ErrorCode::kVerification, "in-toto statement");
  if (!parsed) return parsed.error();
  const auto& j = *parsed;
  if (!j.is_object()) return statementError("is not a JSON object");
  InTotoStatement out;
  const auto type = j.find("_type");
  if (type == j.end() || !type->is_string()) return statementError("has no \"_type\"");
  out.type = type->get<std::string>();
  if (out.type != kStatementV1 && out.type != kStatementV01)
    return statementError("has _type '" + out.type + "', expected '" + std::string(kStatementV1) + "'");
  const auto predicate = j.find("predicateType");
  if (predicate == j.end() || !predicate->is_string()) return statementError("has no \"predicateType\"");
  out.predicateType = predicate->get<std::string>();
  const auto subjects = j.find("subject");
  if (subjects == j.end() || !subjects->is_array() || subjects->empty())
    return statementError("has no \"subject\" list");
  if (subjects->size() > kMaxSubjects)
    return statementError("lists " + std::to_string(subjects->size()) + " subjects, more than " +
                          std::to_string(kMaxSubjects));
  for (const auto& s : *subjects) {
    if (!s.is_object()) return statementError("has a subject that is not an object");
    const auto digest = s.find("digest");
    if (digest == s.end() || !digest->is_object()) return statementError("has a subject without a digest");
    const auto sha = digest->find("sha256");
    if (sha == digest->end()) continue;  // other algorithms cannot name an OCI manifest here
    if (!sha->is_string()) return statementError("has a subject whose sha256 is not a string");
    auto d = oci::Digest::parse("sha256:" + sha->get<std::string>());
    if (!d) return statementError("has a subject with a malformed sha256: " + d.error().message);
    out.sha256Subjects.push_back(d->str());
  }
  return out;
}

Result<InTotoStatement> parseImageSignatureStatement(std::string_view payload, const oci::Digest& expected,
                                                     std::string_view predicateType) {
  auto statement = parseInTotoStatement(payload);
  if (!statement) return statement;
  if (statement->predicateType != predicateType)
    return statementError("has predicateType '" + statement->predicateType + "', expected '" +
                          std::string(predicateType) + "' (an attestation is not an image signature)");
  for (const auto& s : statement->sha256Subjects)
    if (s == expected.str()) return statement;
  std::string named;
  for (const auto& s : statement->sha256Subjects) named += (named.empty() ? "" : ", ") + s;
  return statementError("names " + (named.empty() ? std::string("no sha256 subject") : named) + ", not " +
                        expected.str() + " (a signature replayed from another image)");
}

}  // namespace autonomy::verify
