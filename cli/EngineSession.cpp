#include "cli/EngineSession.hpp"

#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "engine/copy/Inventory.hpp"
#include "engine/core/ByteRate.hpp"
#include "engine/endpoint/LayoutEndpoint.hpp"
#include "engine/endpoint/RegistryEndpoint.hpp"

namespace autonomy::cli {

// The pending wait holds only a weak pointer to this: nothing refers to itself, so the session
// (and what the handler needs) is freed when it ends.
struct EngineSession::Signals {
  Signals(boost::asio::io_context& io, CancelTokenPtr c) : set(io, SIGINT, SIGTERM), cancel(std::move(c)) {}
  boost::asio::signal_set set;
  CancelTokenPtr cancel;
  int count = 0;

  static void arm(const std::shared_ptr<Signals>& self) {
    std::weak_ptr<Signals> weak = self;
    self->set.async_wait([weak](const boost::system::error_code& ec, int) {
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
      s->cancel->cancel();
      arm(s);
    });
  }
};

EngineSession::EngineSession() : pool_(io_.get_executor()) {}

namespace {
// --have: the export leaves out what the far side's inventory says it holds.
Status applyHave(const EndpointArg& arg, endpoint::LayoutEndpoint& layout) {
  if (arg.have.empty()) return {};
  auto inv = copy::readInventory(arg.have);
  if (!inv) return inv.error();
  layout.leaveOut(std::move(inv->blobs), inv->registry);
  return {};
}
}  // namespace

Result<std::unique_ptr<EngineSession>> EngineSession::create(const EndpointArg& from,
                                                             const std::vector<EndpointArg>& dests,
                                                             const RegistryFlags& flags) {
  for (const auto& to : dests) {
    if (!from.isLocal() && !to.isLocal() && from.registry == to.registry && flags.maxConnections < 2)
      return makeError(ErrorCode::kUsage,
                       "--max-connections must be at least 2 when source and destination are the same "
                       "registry (a copy reads and writes at once)");
    if (from.isLocal() && to.isLocal())
      return makeError(ErrorCode::kUsage, "both ends are layouts or archives: one end of a sync must be a registry");
  }
  std::unique_ptr<EngineSession> s(new EngineSession());
  s->pool_.setDefaultLimit(flags.maxConnections);
  std::uint64_t cap = 0;
  if (!flags.limitRate.empty()) {
    auto rate = parseRate(flags.limitRate);
    if (!rate) return rate.error().context("--limit-rate");
    if (*rate == 0) return makeError(ErrorCode::kUsage, "--limit-rate 0 would move nothing; leave it out for no cap");
    cap = *rate;
  }
  registry::HelperAnswers helperAnswers;  // a credential helper is asked once per host and run
  auto endpointFor = [&](const EndpointArg& arg, bool source) -> Result<std::unique_ptr<endpoint::Endpoint>> {
    const auto executor = s->io_.get_executor();
    if (arg.isLocal()) {
      const auto kind = arg.layout.empty() ? endpoint::EndpointKind::kArchive : endpoint::EndpointKind::kLayout;
      auto local =
          endpoint::LayoutEndpoint::forEnd(executor, kind, arg.layout.empty() ? arg.archive : arg.layout, source);
      if (!local)
        return local.error().context("--" + std::string(source ? "from-" : "to-") +
                                     std::string(endpoint::endpointKindName(kind)));
      if (auto st = applyHave(arg, **local); !st) return st.error();
      return std::unique_ptr<endpoint::Endpoint>(std::move(*local));
    }
    registry::RegistrySettings rs;
    rs.host = arg.registry;
    rs.insecure = flags.allowInsecure;
    rs.certsRoots = flags.certsDirs;
    rs.maxConnections = flags.maxConnections;
    rs.stallTimeout = std::chrono::seconds(flags.stallTimeoutSeconds);
    if (cap > 0) s->pool_.rateFor(arg.registry)->setRate(cap);
    auto creds = registry::findCredentials(flags.authFile, arg.registry, &helperAnswers);
    if (!creds) return creds.error();
    rs.credentials = *creds;
    return std::unique_ptr<endpoint::Endpoint>(std::make_unique<endpoint::RegistryEndpoint>(s->pool_, std::move(rs)));
  };
  auto source = endpointFor(from, true);
  if (!source) return source.error();
  std::vector<std::unique_ptr<endpoint::Endpoint>> peers;
  for (const auto& to : dests) {
    auto dest = endpointFor(to, false);
    if (!dest) return dest.error();
    peers.push_back(std::move(*dest));
  }
  copy::TransferLimits limits;
  limits.blobsPerRepo = flags.blobConcurrency;
  s->copy_ = std::make_unique<copy::CopySession>(std::move(*source), std::move(peers), limits, s->cancel_);
  return s;
}

void EngineSession::armSignals() {
  if (signals_) return;
  signals_ = std::make_shared<Signals>(io_, cancel_);
  Signals::arm(signals_);
}

}  // namespace autonomy::cli
