#pragma once
// Server-sent events, as the daemon's /v1/jobs/{id}/events writes them: frames of
// `field: value` lines ended by a blank line. Fed in whatever pieces the socket delivers.
#include <string>
#include <string_view>
#include <vector>

namespace autonomy::cli {

struct SseEvent {
  std::string type = "message";  // `event:`; the SSE default when absent
  std::string data;              // `data:` lines joined with '\n'
  std::string id;                // `id:`
};

class SseParser {
 public:
  // Appends bytes; returns the events completed by them (comments such as keep-alives are skipped).
  std::vector<SseEvent> feed(std::string_view bytes);

 private:
  void takeLine(std::string_view line, std::vector<SseEvent>& out);

  std::string partial_;  // an unfinished line
  SseEvent current_;
  bool hasFields_ = false;
  bool hasData_ = false;
};

}  // namespace autonomy::cli
