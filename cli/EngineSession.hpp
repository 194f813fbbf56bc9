#pragma once
// The in-process engine as the CLI runs it: one io_context thread, a connection pool, a client
// per registry, the blob ledger, SIGINT/SIGTERM wired to cancellation.
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/copy/CopySession.hpp"
#include "engine/endpoint/EndpointKind.hpp"

namespace autonomy::cli {

struct RegistryFlags {
  bool allowInsecure = false;
  std::optional<std::filesystem::path> authFile;
  std::vector<std::filesystem::path> certsDirs;
  std::size_t maxConnections = 16;
  std::size_t blobConcurrency = 4;
  int stallTimeoutSeconds = 60;
  std::string limitRate;  // --limit-rate: a cap on each registry host's blob traffic; empty: none
};

// One end of a run: a registry host, an OCI image layout directory or an OCI archive.
struct EndpointArg {
  std::string registry;
  std::filesystem::path layout;   // set: the layout, not a registry
  std::filesystem::path archive;  // set: the archive, not a registry
  std::filesystem::path have;     // a destination layout or archive: leave out what this inventory holds
  bool isLocal() const { return !layout.empty() || !archive.empty(); }
  // For messages and the catalog: the host, `oci:DIR` or `oci-archive:FILE`.
  std::string describe() const {
    if (!layout.empty()) return endpoint::describeEnd(endpoint::EndpointKind::kLayout, layout.string());
    if (!archive.empty()) return endpoint::describeEnd(endpoint::EndpointKind::kArchive, archive.string());
    return registry;
  }
};

class EngineSession {
 public:
  // Loads credentials for registry hosts (a broken auth file is a configuration error); opens a
  // source layout (it must be one), creates or extends a destination layout.
  static Result<std::unique_ptr<EngineSession>> create(const EndpointArg& from, const EndpointArg& to,
                                                       const RegistryFlags& flags) {
    return create(from, std::vector<EndpointArg>{to}, flags);
  }
  // Several destinations: a fan-out to each of them (registries).
  static Result<std::unique_ptr<EngineSession>> create(const EndpointArg& from, const std::vector<EndpointArg>& to,
                                                       const RegistryFlags& flags);
  static Result<std::unique_ptr<EngineSession>> create(const std::string& fromHost, const std::string& toHost,
                                                       const RegistryFlags& flags) {
    return create(EndpointArg{fromHost, {}, {}, {}}, EndpointArg{toHost, {}, {}, {}}, flags);
  }

  boost::asio::io_context& io() { return io_; }
  copy::CopyContext& context() { return copy_->context(); }
  copy::CopySession& copy() { return *copy_; }
  bool interrupted() const { return cancel_->cancelled(); }

  // Runs the io_context until `task` finishes; the first SIGINT/SIGTERM cancels, a second exits.
  template <typename T>
  T run(boost::asio::awaitable<T> task);

 private:
  EngineSession();
  void armSignals();

  boost::asio::io_context io_;
  registry::ConnectionPool pool_;
  CancelTokenPtr cancel_ = std::make_shared<CancelToken>();
  std::unique_ptr<copy::CopySession> copy_;
  struct Signals;
  std::shared_ptr<Signals> signals_;
};

}  // namespace autonomy::cli

#include "cli/EngineSession.ipp"
