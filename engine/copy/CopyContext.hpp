#pragma once
// What every step of a run shares: both endpoints, the blob ledger, limits, progress, cancel.
#include <cstdint>
#include <string>

#include "engine/async/AsyncGate.hpp"
#include "engine/async/WindowGate.hpp"
#include "engine/catalog/SeedRecord.hpp"
#include "engine/copy/BlobLedger.hpp"
#include "engine/core/CancelToken.hpp"
#include "engine/endpoint/Endpoint.hpp"

namespace autonomy::copy {

struct CopyStats {
  std::uint64_t blobsCopied = 0;
  std::uint64_t blobsMounted = 0;
  std::uint64_t blobsPresent = 0;
  std::uint64_t bytesPresent = 0;  // blobs not sent because the destination had them (or --have said so)
  std::uint64_t bytesSent = 0;
  std::uint64_t manifestsPushed = 0;
};

// Receives progress as it happens: the CLI draws it, the daemon turns it into events.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void repoStarted(const std::string& /*repo*/) {}
  // The blobs of a manifest tree about to be ensured at B: their total size, before any is
  // found present, mounted or sent (what the manifests say could move).
  virtual void blobsPlanned(const std::string& /*repo*/, std::uint64_t /*bytes*/) {}
  virtual void blobStarted(const std::string& /*repo*/, const oci::Digest& /*d*/, std::uint64_t /*size*/) {}
  virtual void bytesSent(const std::string& /*repo*/, const oci::Digest& /*d*/, std::uint64_t /*delta*/) {}
  // A planned blob is settled: at B (sent, mounted or already there) or given up on.
  virtual void blobDone(const std::string& /*repo*/, const oci::Digest& /*d*/, std::uint64_t /*size*/) {}
  virtual void repoFinished(const catalog::SeedRecord& /*record*/) {}
};

struct TransferLimits {
  std::size_t blobsPerRepo = 4;
  std::uint64_t chunkSize = 32ull << 20;  // one PATCH; a drop loses at most this much
  std::size_t bufferSize = 256u << 10;    // per transfer in flight: memory stays bounded
  int maxStalls = 8;                      // failed attempts per blob before the repo fails
};

class VerificationCache;

struct CopyContext {
  endpoint::Endpoint* source = nullptr;
  endpoint::Endpoint* dest = nullptr;
  BlobLedger* ledger = nullptr;
  async::AsyncGate* transferGate = nullptr;  // bounds blob streams across the run
  TransferLimits limits;
  ProgressSink* progress = nullptr;
  VerificationCache* verdicts = nullptr;  // the daemon's: unchanged signatures are not re-fetched
  // A schedule's transfer windows: outside them blob bytes wait at the source. Null: always.
  async::WindowGatePtr window;
  CancelTokenPtr cancel;
};

}  // namespace autonomy::copy
