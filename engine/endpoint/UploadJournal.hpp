#pragma once
// Where an upload to the destination stands, kept outside the process (the daemon keeps it in
// its job database), so that after a crash or restart the next attempt continues the
// registry's upload session from the bytes it has committed instead of sending them again, or,
// when the registry has dropped that session, deletes it rather than leaving it on B's disk.
#include <cstdint>
#include <optional>
#include <string>

#include "engine/oci/Digest.hpp"

namespace autonomy::endpoint {

struct UploadMark {
  std::string location;         // the session URL after the last committed chunk
  std::uint64_t committed = 0;  // bytes the registry acknowledged at that URL
};

class UploadJournal {
 public:
  virtual ~UploadJournal() = default;
  virtual std::optional<UploadMark> find(const std::string& registry, const std::string& repo,
                                         const oci::Digest& digest) = 0;
  virtual void record(const std::string& registry, const std::string& repo, const oci::Digest& digest,
                      const UploadMark& mark) = 0;
  virtual void forget(const std::string& registry, const std::string& repo, const oci::Digest& digest) = 0;
};

}  // namespace autonomy::endpoint
