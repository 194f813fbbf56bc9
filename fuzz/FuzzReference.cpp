// References, repo names, tags and registry hosts, as flags, API fields and config carry them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/oci/Reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace autonomy::oci;
  if (auto r = RepoRef::parse(text); r.ok()) (void)r->str();
  (void)ImageRef::parse(text);
  (void)validateRegistryHost(text);
  (void)canonicalRegistryHost(text);
  (void)validateTag(text);
  (void)Digest::parse(text);
  return 0;
}
