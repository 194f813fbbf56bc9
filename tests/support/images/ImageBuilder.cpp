#include "tests/support/images/ImageBuilder.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/oci/MediaTypes.hpp"

namespace autonomy::testing {
namespace {

using Json = nlohmann::ordered_json;  // keeps fields in spec order, as other tools write them

Json descriptorJson(const BlobRef& blob) {
  return Json{{"mediaType", blob.mediaType}, {"digest", blob.digest.str()}, {"size", blob.size}};
}

Json platformJson(const Platform& platform) {
  Json json{{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) json["variant"] = platform.variant;
  return json;
}

void addAnnotations(Json& json, const Annotations& annotations) {
  if (annotations.empty()) return;
  json["annotations"] = Json::object();
  for (const auto& [key, value] : annotations) json["annotations"][key] = value;
}

}  // namespace

Platform Platform::parse(std::string_view text) {
  Platform platform;
  const auto first = text.find('/');
  if (first == std::string_view::npos) {
    platform.architecture = std::string(text);
    return platform;
  }
  platform.os = std::string(text.substr(0, first));
  const auto rest = text.substr(first + 1);
  const auto second = rest.find('/');
  platform.architecture = std::string(rest.substr(0, second));
  if (second != std::string_view::npos) platform.variant = std::string(rest.substr(second + 1));
  return platform;
}

std::string Platform::str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }

IndexSpec multiPlatformSpec(const std::vector<std::string>& platforms, const std::vector<LayerSpec>& layers) {
  IndexSpec spec;
  std::uint64_t position = 0;
  for (const auto& name : platforms) {
    ImageSpec image;
    image.platform = Platform::parse(name);
    for (LayerSpec layer : layers) {
      layer.seed += position * 0x9E3779B97F4A7C15ULL;  // wraps; only distinctness matters
      image.layers.push_back(std::move(layer));
    }
    spec.images.push_back(std::move(image));
    ++position;
  }
  return spec;
}

std::vector<BlobRef> BuiltManifest::allBlobs() const {
  std::vector<BlobRef> out;
  std::set<oci::Digest> seen;
  auto collect = [&](const BuiltManifest& m, auto& self) -> void {
    for (const auto& blob : m.blobs) {
      if (seen.insert(blob.digest).second) out.push_back(blob);
    }
    for (const auto& child : m.children) self(child, self);
  };
  collect(*this, collect);
  return out;
}

Result<BuiltManifest> ImageBuilder::image(const ImageSpec& spec) {
  BuiltManifest built;
  Json layers = Json::array();
  Json diffIds = Json::array();
  std::vector<BlobRef> layerBlobs;
  for (const auto& layerSpec : spec.layers) {
    auto layer = writeLayer(layout_, layerSpec);
    if (!layer) return layer.error().context("build image layer seed " + std::to_string(layerSpec.seed));
    layers.push_back(descriptorJson(layer->blob));
    diffIds.push_back(layer->diffId.str());
    built.diffIds.push_back(layer->diffId);
    layerBlobs.push_back(layer->blob);
  }
  Json config = platformJson(spec.platform);
  config["config"] = Json::object();
  for (const auto& [key, value] : spec.labels) config["config"]["Labels"][key] = value;
  config["rootfs"] = Json{{"type", "layers"}, {"diff_ids", std::move(diffIds)}};
  auto configBlob = layout_.putBlob(config.dump(), std::string(oci::media::kOciConfig));
  if (!configBlob) return configBlob.error();

  Json manifest{{"schemaVersion", 2},
                {"mediaType", std::string(oci::media::kOciManifest)},
                {"config", descriptorJson(*configBlob)},
                {"layers", std::move(layers)}};
  addAnnotations(manifest, spec.annotations);
  built.bytes = manifest.dump();
  built.mediaType = std::string(oci::media::kOciManifest);
  built.artifactType = configBlob->mediaType;
  built.annotations = spec.annotations;
  built.blobs.push_back(*configBlob);
  built.blobs.insert(built.blobs.end(), layerBlobs.begin(), layerBlobs.end());
  return storeManifest(std::move(built));
}

Result<BuiltManifest> ImageBuilder::index(const IndexSpec& spec) {
  BuiltManifest built;
  Json entries = Json::array();
  for (const auto& imageSpec : spec.images) {
    auto child = image(imageSpec);
    if (!child) return child.error().context("build index entry " + imageSpec.platform.str());
    Json entry = descriptorJson(child->descriptor());
    entry["platform"] = platformJson(imageSpec.platform);
    entries.push_back(std::move(entry));
    built.children.push_back(std::move(*child));
  }
  Json index{
      {"schemaVersion", 2}, {"mediaType", std::string(oci::media::kOciIndex)}, {"manifests", std::move(entries)}};
  addAnnotations(index, spec.annotations);
  built.bytes = index.dump();
  built.mediaType = std::string(oci::media::kOciIndex);
  built.annotations = spec.annotations;
  return storeManifest(std::move(built));
}

Result<BuiltManifest> ImageBuilder::artifact(const ArtifactSpec& spec) {
  BuiltManifest built;
  auto configBlob = layout_.putBlob(spec.configBytes, spec.configMediaType);
  if (!configBlob) return configBlob.error();
  built.blobs.push_back(*configBlob);
  Json layers = Json::array();
  for (const auto& layer : spec.layers) {
    auto blob = layout_.putBlob(layer.bytes, layer.mediaType);
    if (!blob) return blob.error();
    Json descriptor = descriptorJson(*blob);
    addAnnotations(descriptor, layer.annotations);
    layers.push_back(std::move(descriptor));
    built.blobs.push_back(*blob);
  }
  Json manifest{{"schemaVersion", 2}, {"mediaType", std::string(oci::media::kOciManifest)}};
  if (!spec.artifactType.empty()) manifest["artifactType"] = spec.artifactType;
  manifest["config"] = descriptorJson(*configBlob);
  manifest["layers"] = std::move(layers);
  if (spec.subject) manifest["subject"] = descriptorJson(*spec.subject);
  addAnnotations(manifest, spec.annotations);
  built.bytes = manifest.dump();
  built.mediaType = std::string(oci::media::kOciManifest);
  built.artifactType = spec.artifactType.empty() ? spec.configMediaType : spec.artifactType;
  built.annotations = spec.annotations;
  return storeManifest(std::move(built));
}

Result<BuiltManifest> ImageBuilder::referrersIndex(const std::vector<BuiltManifest>& referrers) {
  BuiltManifest built;
  Json entries = Json::array();
  for (const auto& referrer : referrers) {
    Json entry = descriptorJson(referrer.descriptor());
    if (!referrer.artifactType.empty()) entry["artifactType"] = referrer.artifactType;
    addAnnotations(entry, referrer.annotations);
    entries.push_back(std::move(entry));
    built.children.push_back(referrer);
  }
  const Json index{
      {"schemaVersion", 2}, {"mediaType", std::string(oci::media::kOciIndex)}, {"manifests", std::move(entries)}};
  built.bytes = index.dump();
  built.mediaType = std::string(oci::media::kOciIndex);
  return storeManifest(std::move(built));
}

Result<BuiltManifest> ImageBuilder::raw(RawManifest manifest) {
  BuiltManifest built;
  // Media types of the given blobs, as the manifest's own descriptors name them.
  std::map<std::string, std::string> declaredTypes;
  const auto json = nlohmann::json::parse(manifest.bytes, nullptr, false);
  if (!json.is_discarded() && json.is_object()) {
    built.artifactType = json.value("artifactType", "");
    auto declare = [&declaredTypes](const nlohmann::json& d) {
      if (d.is_object()) declaredTypes[d.value("digest", "")] = d.value("mediaType", "");
    };
    if (json.contains("config")) {
      declare(json["config"]);
      if (built.artifactType.empty() && json["config"].is_object()) {
        built.artifactType = json["config"].value("mediaType", "");
      }
    }
    if (json.contains("layers") && json["layers"].is_array()) {
      for (const auto& layer : json["layers"]) declare(layer);
    }
    if (json.contains("annotations") && json["annotations"].is_object()) {
      for (const auto& [key, value] : json["annotations"].items()) {
        if (value.is_string()) built.annotations[key] = value.get<std::string>();
      }
    }
  }
  for (const auto& bytes : manifest.blobs) {
    auto blob = layout_.putBlob(bytes);
    if (!blob) return blob.error();
    if (auto it = declaredTypes.find(blob->digest.str()); it != declaredTypes.end()) blob->mediaType = it->second;
    built.blobs.push_back(*blob);
  }
  built.bytes = std::move(manifest.bytes);
  built.mediaType = std::move(manifest.mediaType);
  built.children = std::move(manifest.children);
  return storeManifest(std::move(built));
}

Status ImageBuilder::tag(std::string_view tag, const BuiltManifest& manifest) {
  return layout_.tag(tag, manifest.mediaType, manifest.digest, manifest.size());
}

Result<BuiltManifest> ImageBuilder::storeManifest(BuiltManifest built) {
  auto stored = layout_.putBlob(built.bytes, built.mediaType);
  if (!stored) return stored.error();
  built.digest = stored->digest;
  return built;
}

}  // namespace autonomy::testing
