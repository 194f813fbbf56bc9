#pragma once
// A throwaway certificate authority for TLS tests: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate for mutual TLS, all written as PEM files.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process/Pki.hpp"
#include "tests/support/process/RegistryProcess.hpp"
#include "tests/support/process/TempDir.hpp"

namespace autonomy::testing {

class TestCa {
 public:
  // Writes ca.crt, ca.key, server.crt, server.key, client.cert, client.key into dir (created if
  // missing); without a dir, into a TempDir the TestCa owns. Throws std::runtime_error on failure.
  TestCa();
  explicit TestCa(const std::filesystem::path& dir);
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;
  ~TestCa();

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path caCertPath() const { return dir_ / "ca.crt"; }
  std::filesystem::path serverCertPath() const { return dir_ / "server.crt"; }  // IP:127.0.0.1, DNS:localhost
  std::filesystem::path serverKeyPath() const { return dir_ / "server.key"; }
  std::filesystem::path clientCertPath() const { return dir_ / "client.cert"; }
  std::filesystem::path clientKeyPath() const { return dir_ / "client.key"; }
  const std::string& caCertPem() const { return caPem_; }

  // Issues another server certificate from this CA (e.g. one that names the wrong host); writes
  // <name>.crt and <name>.key into dir() and returns {cert, key}.
  std::pair<std::filesystem::path, std::filesystem::path> issueServerCert(const std::string& name,
                                                                          const std::vector<std::string>& dnsNames,
                                                                          const std::vector<std::string>& ipAddresses);

  // Docker's certs.d layout: <root>/<host>/ca.crt, plus client.cert/client.key when asked.
  // host is "127.0.0.1:5000" style. Returns <root>/<host>.
  std::filesystem::path writeCertsDir(const std::filesystem::path& root, const std::string& host,
                                      bool withClientCert = false) const;

  // http.tls settings for a RegistryProcess serving server.crt; requireClientCert adds this CA as
  // the registry's clientcas (mutual TLS).
  RegistryTls registryTls(bool requireClientCert = false) const;

 private:
  void generate();

  std::optional<TempDir> ownedDir_;
  std::filesystem::path dir_;
  pki::Key caKey_;
  pki::Cert caCert_;
  std::string caPem_;
};

}  // namespace autonomy::testing
