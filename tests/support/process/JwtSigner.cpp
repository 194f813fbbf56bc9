#include "tests/support/process/JwtSigner.hpp"

#include <nlohmann/json.hpp>

#include "engine/core/Base64.hpp"

namespace autonomy::testing {

JwtSigner::JwtSigner()
    : key_(pki::generateKey()),
      cert_(pki::issueCert({"autonomy test token signer", pki::CertRole::kSigning, {}, {}, 30}, key_.get(), nullptr,
                           key_.get())),
      certPem_(pki::certPem(cert_.get())) {
  // x5c entries are standard base64 (RFC 7515 4.1.6), unlike the rest of the JWS.
  nlohmann::json header = {
      {"typ", "JWT"}, {"alg", "ES256"}, {"x5c", nlohmann::json::array({base64Encode(pki::certDer(cert_.get()))})}};
  encodedHeader_ = base64Url(header.dump());
}

std::string JwtSigner::sign(std::string_view claimsJson) const {
  std::string signingInput = encodedHeader_ + "." + base64Url(claimsJson);
  return signingInput + "." + base64Url(pki::signEs256(key_.get(), signingInput));
}

std::string JwtSigner::base64Url(std::string_view bytes) {
  std::string text = base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

}  // namespace autonomy::testing
