#pragma once
#include <string_view>

namespace autonomy::oci::media {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciEmptyConfig = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kCosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kLockArtifact = "application/vnd.autonomy.lock.v1+json";
inline constexpr std::string_view kPolicyArtifact = "application/vnd.autonomy.policy.v1+json";

// The Accept header for manifest requests: every manifest kind we copy.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

inline bool isIndex(std::string_view mt) { return mt == kOciIndex || mt == kDockerManifestList; }
inline bool isImageManifest(std::string_view mt) { return mt == kOciManifest || mt == kDockerManifest; }
inline bool isManifest(std::string_view mt) { return isIndex(mt) || isImageManifest(mt); }

}  // namespace autonomy::oci::media
