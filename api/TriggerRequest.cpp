#include "api/TriggerRequest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace autonomy::api {

namespace {
constexpr std::size_t kMaxAttributeLength = 1024;

Result<std::string> requiredText(const nlohmann::json& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return fieldError(name, "is required: a CloudEvents 1.0 event has a non-empty string " + std::string(name));
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > kMaxAttributeLength) return fieldError(name, "is longer than 1024 characters");
  // It reaches the log: no control characters (a forged line break would forge a log line).
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return fieldError(name, "holds control characters");
  return text;
}
}  // namespace

Result<std::string> parseTriggerBody(std::string_view body) {
  if (std::all_of(body.begin(), body.end(), [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }))
    return std::string();
  auto event = nlohmann::json::parse(body, nullptr, false);
  if (event.is_discarded() || !event.is_object())
    return makeError(ErrorCode::kUsage,
                     "the body is neither empty nor a JSON object (send nothing, or a CloudEvents 1.0 event)");
  auto version = requiredText(event, "specversion");
  if (!version) return version.error();
  if (*version != "1.0") return fieldError("specversion", "\"" + *version + "\" is not 1.0");
  auto id = requiredText(event, "id");
  if (!id) return id.error();
  auto source = requiredText(event, "source");
  if (!source) return source.error();
  auto type = requiredText(event, "type");
  if (!type) return type.error();
  return *source + " (event " + *id + ", " + *type + ")";
}

}  // namespace autonomy::api
