#include "engine/core/Sha256.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <stdexcept>

namespace autonomy {

void Sha256::Deleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  reset();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("EVP_DigestInit_ex failed");
}

Sha256 Sha256::clone() const {
  Sha256 out;
  if (EVP_MD_CTX_copy_ex(out.ctx_.get(), ctx_.get()) != 1) throw std::runtime_error("EVP_MD_CTX_copy_ex failed");
  return out;
}

void Sha256::update(const void* data, std::size_t size) {
  if (size == 0) return;
  EVP_DigestUpdate(ctx_.get(), data, size);
}

std::string Sha256::hexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string Sha256::hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hexDigest();
}

}  // namespace autonomy
