#pragma once
// What names one end of a sync: a registry host, an OCI image layout directory or an OCI
// archive file. A light header: the job model and the front ends name ends without the endpoints.
#include <optional>
#include <string>
#include <string_view>

namespace autonomy::endpoint {

enum class EndpointKind { kRegistry, kLayout, kArchive };

// "registry", "layout", "archive": the suffix of the CLI flags (--to-layout) and the API's
// job fields (to_layout), and how the job store records the kind.
constexpr std::string_view endpointKindName(EndpointKind kind) {
  switch (kind) {
    case EndpointKind::kRegistry:
      return "registry";
    case EndpointKind::kLayout:
      return "layout";
    case EndpointKind::kArchive:
      return "archive";
  }
  return "registry";
}

constexpr std::optional<EndpointKind> endpointKindFromName(std::string_view name) {
  for (auto kind : {EndpointKind::kRegistry, EndpointKind::kLayout, EndpointKind::kArchive})
    if (endpointKindName(kind) == name) return kind;
  return std::nullopt;
}

constexpr bool isLocalKind(EndpointKind kind) { return kind != EndpointKind::kRegistry; }

// How catalogs and logs name an end: the host, or skopeo's transport names (oci:DIR,
// oci-archive:FILE), which are also the endpoints' names.
inline std::string describeEnd(EndpointKind kind, std::string_view where) {
  if (kind == EndpointKind::kLayout) return "oci:" + std::string(where);
  if (kind == EndpointKind::kArchive) return "oci-archive:" + std::string(where);
  return std::string(where);
}

}  // namespace autonomy::endpoint
