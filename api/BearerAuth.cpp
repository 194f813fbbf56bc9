#include "api/BearerAuth.hpp"

#include <openssl/crypto.h>

#include <cctype>

#include "engine/core/SecretFile.hpp"
#include "engine/core/Sha256.hpp"

namespace autonomy::api {

namespace {
constexpr std::size_t kMinTokenLength = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
}  // namespace

Result<BearerAuth> BearerAuth::fromToken(const std::string& token) {
  const auto t = trim(token);
  if (t.size() < kMinTokenLength)
    return makeError(ErrorCode::kConfig, "the API token must be at least " + std::to_string(kMinTokenLength) +
                                             " characters (e.g. `openssl rand -hex 32`)");
  return BearerAuth(Sha256::hex(t));
}

Result<BearerAuth> BearerAuth::fromFile(const std::filesystem::path& path) {
  auto token = readSecretFile(path, "api.token_file");
  if (!token) return token.error();
  auto auth = fromToken(*token);
  if (!auth) return auth.error().context("api.token_file " + path.string());
  return auth;
}

bool BearerAuth::accepts(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  const auto presented = Sha256::hex(trim(authorization.substr(kScheme.size())));
  return presented.size() == digest_.size() && CRYPTO_memcmp(presented.data(), digest_.data(), digest_.size()) == 0;
}

}  // namespace autonomy::api
