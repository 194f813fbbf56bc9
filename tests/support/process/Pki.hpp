#pragma once
// Small OpenSSL helpers for throwaway test PKI: P-256 keys, X.509 certificates, PEM/DER, and
// ES256 JWS signatures. Shared by TestCa (TLS) and TokenServer (token signing).
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;
struct x509_st;

namespace autonomy::testing::pki {

struct KeyDeleter {
  void operator()(evp_pkey_st* key) const;
};
struct CertDeleter {
  void operator()(x509_st* cert) const;
};
using Key = std::unique_ptr<evp_pkey_st, KeyDeleter>;
using Cert = std::unique_ptr<x509_st, CertDeleter>;

enum class CertRole {
  kCa,       // CA:TRUE, keyCertSign
  kServer,   // serverAuth
  kClient,   // clientAuth
  kSigning,  // digitalSignature only (JWT signing)
};

struct CertSpec {
  std::string commonName;
  CertRole role = CertRole::kServer;
  std::vector<std::string> dnsNames;
  std::vector<std::string> ipAddresses;
  int validDays = 30;
};

Key generateKey();  // ECDSA P-256

// Signs with issuerKey; a null issuerCert makes the certificate self-signed.
Cert issueCert(const CertSpec& spec, evp_pkey_st* subjectKey, x509_st* issuerCert, evp_pkey_st* issuerKey);

std::string certPem(x509_st* cert);
std::string certDer(x509_st* cert);
std::string privateKeyPem(evp_pkey_st* key);  // PKCS#8

// JWS ES256: SHA-256 ECDSA signature as the raw 64-byte r||s (not DER).
std::string signEs256(evp_pkey_st* key, std::string_view data);

// Writes a file with the given permission bits (0600 for keys); throws on failure.
void writeFile(const std::filesystem::path& path, std::string_view content, unsigned mode = 0644);

}  // namespace autonomy::testing::pki
