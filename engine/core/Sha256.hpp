#pragma once
// Streaming SHA-256 over OpenSSL's EVP: blobs are hashed chunk by chunk as they stream.
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace autonomy {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  std::string hexDigest();  // finishes; the object must be reset() before reuse
  void reset();
  // An independent copy of the running state (a resume point for an interrupted upload).
  Sha256 clone() const;

  static std::string hex(std::string_view bytes);  // one-shot lowercase hex digest

 private:
  struct Deleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Deleter> ctx_;
};

}  // namespace autonomy
