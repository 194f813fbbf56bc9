#include "engine/oci/Manifest.hpp"

#include <nlohmann/json.hpp>

#include "engine/core/BoundedJson.hpp"

#include "engine/oci/MediaTypes.hpp"

namespace autonomy::oci {

using nlohmann::json;

namespace {

// A member's string value, or "" when absent or not a string (a registry may send anything).
std::string stringOr(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<Descriptor> parseDescriptor(const json& j, std::string_view where) {
  if (!j.is_object()) return makeError(ErrorCode::kIntegrity, std::string(where) + " is not an object");
  Descriptor d;
  if (!j.contains("digest") || !j["digest"].is_string())
    return makeError(ErrorCode::kIntegrity, std::string(where) + " has no digest");
  auto digest = Digest::parse(j["digest"].get<std::string>());
  if (!digest) return makeError(ErrorCode::kIntegrity, std::string(where) + ": " + digest.error().message);
  d.digest = *digest;
  if (!j.contains("size") || !j["size"].is_number_unsigned())
    return makeError(ErrorCode::kIntegrity, std::string(where) + " has no valid size");
  d.size = j["size"].get<std::uint64_t>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.mediaType = j["mediaType"].get<std::string>();
  if (j.contains("artifactType") && j["artifactType"].is_string())
    d.artifactType = j["artifactType"].get<std::string>();
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (auto& [k, v] : j["annotations"].items())
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
  }
  if (j.contains("platform") && j["platform"].is_object()) {
    const auto& p = j["platform"];
    d.platform = stringOr(p, "os") + "/" + stringOr(p, "architecture");
    if (p.contains("variant") && p["variant"].is_string()) d.platform += "/" + p["variant"].get<std::string>();
  }
  return d;
}

}  // namespace

std::vector<Descriptor> Manifest::blobs() const {
  std::vector<Descriptor> out;
  if (config) out.push_back(*config);
  out.insert(out.end(), layers.begin(), layers.end());
  return out;
}

Result<Manifest> parseManifest(std::string_view bytes, std::string_view contentType) {
  auto parsed = parseBoundedJson(bytes, JsonBounds{kMaxManifestBytes, 64}, ErrorCode::kIntegrity, "manifest");
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) return makeError(ErrorCode::kIntegrity, "manifest is not a JSON object");
  Manifest m;
  if (j.contains("mediaType") && j["mediaType"].is_string()) {
    m.mediaType = j["mediaType"].get<std::string>();
  } else {
    // Strip parameters such as "; charset=utf-8".
    m.mediaType = std::string(contentType.substr(0, contentType.find(';')));
  }
  const auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<std::int64_t>() != 2)
    return makeError(ErrorCode::kIntegrity,
                     "manifest schemaVersion is not 2 (Docker schema 1 is not supported; re-push the image)");
  if (m.mediaType.empty()) m.mediaType = j.contains("manifests") ? media::kOciIndex : media::kOciManifest;
  m.isIndex = media::isIndex(m.mediaType);
  if (!m.isIndex && !media::isImageManifest(m.mediaType))
    return makeError(ErrorCode::kIntegrity, "unsupported manifest media type '" + m.mediaType + "'");
  if (j.contains("artifactType") && j["artifactType"].is_string())
    m.artifactType = j["artifactType"].get<std::string>();
  if (j.contains("annotations") && j["annotations"].is_object())
    for (auto& [k, v] : j["annotations"].items())
      if (v.is_string()) m.annotations[k] = v.get<std::string>();
  if (j.contains("subject")) {
    auto s = parseDescriptor(j["subject"], "subject");
    if (!s) return s.error();
    m.subject = *s;
  }
  if (m.isIndex) {
    if (!j.contains("manifests") || !j["manifests"].is_array())
      return makeError(ErrorCode::kIntegrity, "index has no manifests array");
    std::size_t i = 0;
    for (const auto& e : j["manifests"]) {
      auto d = parseDescriptor(e, "manifests[" + std::to_string(i++) + "]");
      if (!d) return d.error();
      m.manifests.push_back(std::move(*d));
    }
  } else {
    if (!j.contains("config")) return makeError(ErrorCode::kIntegrity, "image manifest has no config");
    auto c = parseDescriptor(j["config"], "config");
    if (!c) return c.error();
    m.config = *c;
    if (j.contains("layers")) {
      if (!j["layers"].is_array()) return makeError(ErrorCode::kIntegrity, "layers is not an array");
      std::size_t i = 0;
      for (const auto& e : j["layers"]) {
        auto d = parseDescriptor(e, "layers[" + std::to_string(i++) + "]");
        if (!d) return d.error();
        m.layers.push_back(std::move(*d));
      }
    }
  }
  return m;
}

}  // namespace autonomy::oci
