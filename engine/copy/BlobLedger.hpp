#pragma once
// What this run knows about blobs at the destination: which repo holds each one, and which
// are being uploaded right now, so a blob shared by many repos crosses the wire once and is
// mounted everywhere else.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/oci/Digest.hpp"

namespace autonomy::copy {

class BlobLedger {
 public:
  explicit BlobLedger(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // A destination repo known to hold the blob (the one given preference when it is `repo`).
  std::optional<std::string> holder(const oci::Digest& d, const std::string& preferRepo) const;
  bool holds(const oci::Digest& d, const std::string& repo) const;
  void record(const oci::Digest& d, const std::string& repo);

  // Claims the right to upload d. When another task holds the claim, waits for it to end and
  // returns false (the caller then looks again at holder()).
  boost::asio::awaitable<bool> claim(oci::Digest d);
  void release(const oci::Digest& d);

 private:
  boost::asio::any_io_executor executor_;
  std::multimap<oci::Digest, std::string> holders_;
  std::map<oci::Digest, std::shared_ptr<boost::asio::steady_timer>> inFlight_;
};

}  // namespace autonomy::copy
