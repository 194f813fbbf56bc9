#pragma once
// The bearer token guarding /v1: read from api.token_file, compared in constant time.
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/Error.hpp"

namespace autonomy::api {

class BearerAuth {
 public:
  // The file's content without surrounding whitespace; an empty or unreadable file is an error
  // (kConfig). Tokens shorter than 16 characters are refused as guessable.
  static Result<BearerAuth> fromFile(const std::filesystem::path& path);
  static Result<BearerAuth> fromToken(const std::string& token);

  // `authorization` is the whole header value: "Bearer <token>" (scheme case-insensitive).
  bool accepts(std::string_view authorization) const;

 private:
  explicit BearerAuth(std::string digest) : digest_(std::move(digest)) {}
  std::string digest_;  // SHA-256 of the token: equal-length inputs for CRYPTO_memcmp
};

}  // namespace autonomy::api
