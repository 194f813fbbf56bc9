#pragma once
// Docker credential helpers: `docker-credential-<name> get` with the registry host on stdin
// answers {"ServerURL","Username","Secret"} (a Username of "<token>" makes Secret an identity
// token). This is how ECR/GCR/ACR and pass/secret-service users keep credentials, named by
// `credHelpers` (per host) or `credsStore` (every host) in config.json / auth.json.
#include <optional>
#include <string>

#include "engine/core/ChildProcess.hpp"
#include "engine/core/Error.hpp"
#include "engine/registry/Credentials.hpp"

namespace autonomy::registry {

// nullopt when the helper has nothing for the host ("credentials not found"). An error names
// the helper and the host and says how to see why; the helper's stderr is never copied into
// it (helpers print what they were given).
Result<std::optional<Credentials>> askCredentialHelper(const std::string& helper, const std::string& host,
                                                       HelperAnswers* cache = nullptr, ChildLimits limits = {});

}  // namespace autonomy::registry
