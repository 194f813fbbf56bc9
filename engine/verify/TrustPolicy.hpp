#pragma once
// What a verified run trusts: the fleet's signing key and, opt-in, the transparency logs whose
// entries must vouch for each accepted signature (SPEC §3, offline tlog check).
#include <vector>

#include "engine/verify/PublicKey.hpp"

namespace autonomy::verify {

struct TrustPolicy {
  PublicKey key;
  // Non-empty: every accepted signature needs a tlog entry whose signed entry timestamp one of
  // these Rekor keys made and whose body names that signature and key (--rekor-pub-key).
  std::vector<PublicKey> rekorKeys;

  bool requiresTlog() const { return !rekorKeys.empty(); }
};

}  // namespace autonomy::verify
