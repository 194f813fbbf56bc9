#pragma once
// Test-only Sigstore bundles for the unit tests of the verifier's logic: an in-toto statement as
// cosign 3 writes it, wrapped in a DSSE envelope that CosignSigner signs over the PAE. Whether we
// read what real producers write is proven elsewhere: against the real vectors in
// ../shared/fixtures/sigstore-bundles and, end to end, against sigstore-js (tests/support/sigstore-js).
#include <string>
#include <string_view>

#include "engine/oci/Digest.hpp"
#include "engine/verify/InTotoStatement.hpp"
#include "tests/support/signer/CosignSigner.hpp"

namespace autonomy::testing {

// {"_type", "subject": [{"digest": {"sha256": <hex>}}], "predicateType", "predicate": {}}
std::string cosignStatement(const oci::Digest& subject, std::string_view predicateType = verify::kCosignSignPredicate,
                            std::string_view statementType = verify::kStatementV1);

// A v0.3 bundle: dsseEnvelope {payloadType, payload, signatures: [{sig}]}, publicKey hint, no tlog.
std::string dsseBundle(const CosignSigner& signer, std::string_view payload,
                       std::string_view payloadType = verify::kInTotoPayloadType);

}  // namespace autonomy::testing
