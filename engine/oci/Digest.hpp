#pragma once
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::oci {

// "sha256:<64 lowercase hex>" (sha512 is accepted by the grammar but we only compute sha256).
class Digest {
 public:
  Digest() = default;
  static Result<Digest> parse(std::string_view text);
  static Digest ofBytes(std::string_view bytes);  // sha256 of the bytes
  static Digest fromSha256Hex(std::string hex) { return Digest("sha256", std::move(hex)); }

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string str() const { return algorithm_ + ":" + hex_; }
  std::string shortStr() const { return algorithm_ + ":" + hex_.substr(0, 12); }
  bool empty() const { return hex_.empty(); }
  // Cosign's tag for attachments of this digest: "sha256-<hex>" (+ ".sig" etc.)
  std::string attachmentTag(std::string_view suffix = "") const {
    return algorithm_ + "-" + hex_ + std::string(suffix);
  }

  friend bool operator==(const Digest&, const Digest&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=> (its 0 literal)
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  Digest(std::string algorithm, std::string hex) : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  std::string algorithm_;
  std::string hex_;
};

}  // namespace autonomy::oci
