#include "cli/SseParser.hpp"

namespace autonomy::cli {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  partial_.append(bytes);
  std::size_t start = 0;
  while (true) {
    const auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(partial_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    takeLine(line, out);
    start = nl + 1;
  }
  partial_.erase(0, start);
  return out;
}

void SseParser::takeLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {  // end of a frame
    if (hasFields_) out.push_back(std::move(current_));
    current_ = SseEvent{};
    hasFields_ = hasData_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment (keep-alive)
  const auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    current_.type = std::string(value);
  } else if (field == "data") {
    if (hasData_) current_.data += '\n';
    current_.data += value;
    hasData_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
  } else {
    return;  // unknown fields are ignored, as the SSE rules say
  }
  hasFields_ = true;
}

}  // namespace autonomy::cli
