#include "tests/support/process/TestCa.hpp"

#include <utility>

namespace autonomy::testing {

namespace {

void writeKeyPair(const std::filesystem::path& certPath, const std::filesystem::path& keyPath, x509_st* cert,
                  evp_pkey_st* key) {
  pki::writeFile(certPath, pki::certPem(cert));
  pki::writeFile(keyPath, pki::privateKeyPem(key), 0600);
}

}  // namespace

TestCa::TestCa() : ownedDir_(std::in_place, "ca"), dir_(ownedDir_->path()) { generate(); }

TestCa::TestCa(const std::filesystem::path& dir) : dir_(dir) {
  std::filesystem::create_directories(dir_);
  generate();
}

TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;
TestCa::~TestCa() = default;

void TestCa::generate() {
  caKey_ = pki::generateKey();
  caCert_ = pki::issueCert({"autonomy test CA", pki::CertRole::kCa, {}, {}, 30}, caKey_.get(), nullptr, caKey_.get());
  caPem_ = pki::certPem(caCert_.get());
  pki::writeFile(caCertPath(), caPem_);
  pki::writeFile(dir_ / "ca.key", pki::privateKeyPem(caKey_.get()), 0600);

  issueServerCert("server", {"localhost"}, {"127.0.0.1"});

  pki::Key clientKey = pki::generateKey();
  pki::Cert clientCert = pki::issueCert({"autonomy test client", pki::CertRole::kClient, {}, {}, 30}, clientKey.get(),
                                        caCert_.get(), caKey_.get());
  writeKeyPair(clientCertPath(), clientKeyPath(), clientCert.get(), clientKey.get());
}

std::pair<std::filesystem::path, std::filesystem::path> TestCa::issueServerCert(
    const std::string& name, const std::vector<std::string>& dnsNames, const std::vector<std::string>& ipAddresses) {
  pki::Key key = pki::generateKey();
  pki::Cert cert =
      pki::issueCert({name, pki::CertRole::kServer, dnsNames, ipAddresses, 30}, key.get(), caCert_.get(), caKey_.get());
  std::pair<std::filesystem::path, std::filesystem::path> paths{dir_ / (name + ".crt"), dir_ / (name + ".key")};
  writeKeyPair(paths.first, paths.second, cert.get(), key.get());
  return paths;
}

std::filesystem::path TestCa::writeCertsDir(const std::filesystem::path& root, const std::string& host,
                                            bool withClientCert) const {
  std::filesystem::path hostDir = root / host;
  std::filesystem::create_directories(hostDir);
  std::filesystem::copy_file(caCertPath(), hostDir / "ca.crt", std::filesystem::copy_options::overwrite_existing);
  if (withClientCert) {
    std::filesystem::copy_file(clientCertPath(), hostDir / "client.cert",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(clientKeyPath(), hostDir / "client.key",
                               std::filesystem::copy_options::overwrite_existing);
  }
  return hostDir;
}

RegistryTls TestCa::registryTls(bool requireClientCert) const {
  RegistryTls tls;
  tls.certificate = serverCertPath();
  tls.key = serverKeyPath();
  if (requireClientCert) tls.clientCa = caCertPath();
  return tls;
}

}  // namespace autonomy::testing
