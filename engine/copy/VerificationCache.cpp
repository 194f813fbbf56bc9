#include "engine/copy/VerificationCache.hpp"

#include "engine/core/Sha256.hpp"

namespace autonomy::copy {

std::string VerificationCache::keyFor(const oci::Digest& image, const SignatureSources& sources,
                                      const verify::TrustPolicy& trust) {
  Sha256 h;
  // Each part ends in a newline: no two different inputs join to the same text.
  auto part = [&h](std::string_view label, std::string_view value) {
    h.update(label);
    h.update("=");
    h.update(value);
    h.update("\n");
  };
  part("image", image.str());
  part("sig", sources.sig ? sources.sig->info.digest.str() : "-");  // the digest of exactly those bytes
  part("referrers", sources.referrers ? Sha256::hex(*sources.referrers) : "-");
  part("referrers-from", sources.referrersFromApi ? "api" : "tag");
  part("key", trust.key.fingerprint());
  for (const auto& k : trust.rekorKeys) part("rekor", k.fingerprint());
  return h.hexDigest();
}

std::optional<catalog::Verification> VerificationCache::find(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = verdicts_.find(key);
  if (it == verdicts_.end()) return std::nullopt;
  return it->second;
}

void VerificationCache::remember(const std::string& key, const catalog::Verification& verdict) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (verdicts_.insert_or_assign(key, verdict).second) order_.push_back(key);
  while (verdicts_.size() > capacity_) {
    verdicts_.erase(order_.front());
    order_.pop_front();
  }
}

std::size_t VerificationCache::size() const {
  std::lock_guard lock(mu_);
  return verdicts_.size();
}

}  // namespace autonomy::copy
