#pragma once
// TLS trust per registry host: the system CAs plus the Docker/containers certs.d convention
// (<root>/<host[:port]>/*.crt are CAs; client.cert + client.key a client identity for mTLS).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/Error.hpp"

namespace boost::asio::ssl {
class context;
}

namespace autonomy::registry {

// /etc/containers/certs.d and /etc/docker/certs.d, searched after any roots the operator names.
std::vector<std::filesystem::path> defaultCertsRoots();

Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& hostPort,
                                                                  const std::vector<std::filesystem::path>& roots);

}  // namespace autonomy::registry
