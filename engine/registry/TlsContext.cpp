#include "engine/registry/TlsContext.hpp"

#include <boost/asio/ssl/context.hpp>

namespace autonomy::registry {

namespace fs = std::filesystem;

std::vector<fs::path> defaultCertsRoots() { return {"/etc/containers/certs.d", "/etc/docker/certs.d"}; }

Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& hostPort,
                                                                  const std::vector<fs::path>& roots) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  // Hosts come in without the default port (oci::canonicalRegistryHost), but an operator may
  // have named the folder "host:443" as containers/image would look it up.
  std::vector<std::string> names{hostPort};
  const auto colon = hostPort.rfind(':');
  const auto bracket = hostPort.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket))
    names.push_back(hostPort + ":443");
  for (const auto& root : roots) {
    for (const auto& name : names) {
      const fs::path dir = root / name;
      std::error_code fec;
      if (!fs::is_directory(dir, fec)) continue;
      for (const auto& entry : fs::directory_iterator(dir, fec)) {
        const auto& p = entry.path();
        if (p.extension() == ".crt") {
          ctx->load_verify_file(p.string(), ec);
          if (ec) return makeError(ErrorCode::kConfig, "CA file " + p.string() + ": " + ec.message());
        } else if (p.extension() == ".cert") {
          const fs::path key = fs::path(p).replace_extension(".key");
          if (!fs::exists(key))
            return makeError(ErrorCode::kConfig,
                             "client certificate " + p.string() + " has no matching " + key.string());
          ctx->use_certificate_chain_file(p.string(), ec);
          if (!ec) ctx->use_private_key_file(key.string(), ssl::context::pem, ec);
          if (ec) return makeError(ErrorCode::kConfig, "client certificate " + p.string() + ": " + ec.message());
        }
      }
    }
  }
  return ctx;
}

}  // namespace autonomy::registry
