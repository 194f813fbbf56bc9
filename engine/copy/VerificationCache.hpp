#pragma once
// Verdicts the daemon keeps between runs: a signature check depends only on the image digest,
// the exact bytes of its signature sources (the .sig manifest, the referrers index; everything
// they point to is addressed by digest) and the trust policy. A re-seed that finds the same bytes
// under the same policy reaches the same verdict without fetching payloads and bundles again;
// any change to any of them is verified afresh. Only successes are kept, in memory only.
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/catalog/SeedRecord.hpp"
#include "engine/copy/SourceSignatures.hpp"
#include "engine/verify/TrustPolicy.hpp"

namespace autonomy::copy {

class VerificationCache {
 public:
  explicit VerificationCache(std::size_t capacity = 8192) : capacity_(capacity) {}

  // What decides the verdict, hashed.
  static std::string keyFor(const oci::Digest& image, const SignatureSources& sources,
                            const verify::TrustPolicy& trust);

  std::optional<catalog::Verification> find(const std::string& key) const;
  void remember(const std::string& key, const catalog::Verification& verdict);  // oldest out first
  std::size_t size() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, catalog::Verification> verdicts_;
  std::deque<std::string> order_;
};

}  // namespace autonomy::copy
