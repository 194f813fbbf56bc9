#pragma once
// The in-toto Statement a DSSE envelope carries (v1, and v0.1 as older producers write it):
//   {"_type": "https://in-toto.io/Statement/v1",
//    "subject": [{"name": "...", "digest": {"sha256": "<hex>"}}],
//    "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {...}}
// Only read after its signature checked out: unsigned JSON is never trusted.
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/Error.hpp"
#include "engine/oci/Digest.hpp"

namespace autonomy::verify {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kStatementV01 = "https://in-toto.io/Statement/v0.1";
// What `cosign sign` (v3, bundle format) states; attestations carry their own predicate types.
inline constexpr std::string_view kCosignSignPredicate = "https://sigstore.dev/cosign/sign/v1";

struct InTotoStatement {
  std::string type;
  std::string predicateType;
  std::vector<std::string> sha256Subjects;  // "sha256:<hex>" for each subject with a sha256 digest
};

// Structure only; errors are kVerification and say what is missing.
Result<InTotoStatement> parseInTotoStatement(std::string_view payload);

// Also requires `expected` among the subjects and `predicateType` as given: a statement for
// another digest is a replay, another predicate is an attestation, not a signature.
Result<InTotoStatement> parseImageSignatureStatement(std::string_view payload, const oci::Digest& expected,
                                                     std::string_view predicateType = kCosignSignPredicate);

}  // namespace autonomy::verify
