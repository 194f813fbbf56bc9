#pragma once
// Signs JWTs the way distribution 2.8 verifies them (registry/auth/token): ES256 over
// "<header>.<claims>" with a raw r||s signature, and a header whose x5c holds the standard
// base64 DER of a self-signed certificate that the registry lists in rootcertbundle.
#include <string>
#include <string_view>

#include "tests/support/process/Pki.hpp"

namespace autonomy::testing {

class JwtSigner {
 public:
  JwtSigner();  // fresh P-256 key and self-signed certificate

  const std::string& certPem() const { return certPem_; }
  // Compact serialization header.claims.signature for the given claims JSON text.
  std::string sign(std::string_view claimsJson) const;

  static std::string base64Url(std::string_view bytes);  // unpadded, URL alphabet

 private:
  pki::Key key_;
  pki::Cert cert_;
  std::string certPem_;
  std::string encodedHeader_;
};

}  // namespace autonomy::testing
