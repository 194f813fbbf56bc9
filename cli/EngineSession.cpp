#include "cli/EngineSession.hpp"

#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>

namespace autonomy::cli {

struct EngineSession::Signals {
  explicit Signals(boost::asio::io_context& io) : set(io, SIGINT, SIGTERM) {}
  boost::asio::signal_set set;
  int count = 0;
};

EngineSession::EngineSession() : pool_(io_.get_executor()) {}

Result<std::unique_ptr<EngineSession>> EngineSession::create(const std::string& fromHost, const std::string& toHost,
                                                             const RegistryFlags& flags) {
  if (fromHost == toHost && flags.maxConnections < 2)
    return makeError(ErrorCode::kUsage,
                     "--max-connections must be at least 2 when source and destination are the same "
                     "registry (a copy reads and writes at once)");
  std::unique_ptr<EngineSession> s(new EngineSession());
  s->pool_.setDefaultLimit(flags.maxConnections);
  registry::HelperAnswers helperAnswers;  // a credential helper is asked once per host and run
  auto settingsFor = [&](const std::string& host) -> Result<registry::RegistrySettings> {
    registry::RegistrySettings rs;
    rs.host = host;
    rs.insecure = flags.allowInsecure;
    rs.certsRoots = flags.certsDirs;
    rs.maxConnections = flags.maxConnections;
    rs.stallTimeout = std::chrono::seconds(flags.stallTimeoutSeconds);
    auto creds = registry::findCredentials(flags.authFile, host, &helperAnswers);
    if (!creds) return creds.error();
    rs.credentials = *creds;
    return rs;
  };
  auto from = settingsFor(fromHost);
  if (!from) return from.error();
  auto to = settingsFor(toHost);
  if (!to) return to.error();
  copy::TransferLimits limits;
  limits.blobsPerRepo = flags.blobConcurrency;
  s->copy_ = copy::CopySession::forRegistries(s->pool_, std::move(*from), std::move(*to), limits, s->cancel_);
  return s;
}

void EngineSession::armSignals() {
  if (signals_) return;
  signals_ = std::make_shared<Signals>(io_);
  auto handler = std::make_shared<std::function<void(const boost::system::error_code&, int)>>();
  std::weak_ptr<Signals> weak = signals_;
  auto cancel = cancel_;
  *handler = [weak, cancel, handler](const boost::system::error_code& ec, int) {
    auto s = weak.lock();
    if (ec || !s) return;
    if (++s->count > 1) {
      static constexpr char kMsg[] = "\ninterrupted again: exiting now\n";
      (void)!::write(2, kMsg, sizeof kMsg - 1);
      ::_exit(130);
    }
    static constexpr char kMsg[] =
        "\ninterrupt: stopping transfers; nothing incomplete will be tagged (press again to exit at once)\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    cancel->cancel();
    s->set.async_wait(*handler);
  };
  signals_->set.async_wait(*handler);
}

}  // namespace autonomy::cli
