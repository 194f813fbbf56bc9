#pragma once
// Plain request/response values, so that only Connection.cpp needs Beast.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autonomy::registry {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  HeaderList headers;
  std::string body;
  // Set for uploads whose body is written in chunks after the head (Connection::writeBody).
  std::optional<std::uint64_t> streamLength;

  HttpRequest& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

struct HttpResponse {
  unsigned status = 0;
  HeaderList headers;
  std::string body;
  std::optional<std::uint64_t> contentLength;

  // Case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
};

}  // namespace autonomy::registry
