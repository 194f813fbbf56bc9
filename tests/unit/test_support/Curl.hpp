#pragma once
// curl as the independent client in the test-support self-test: if curl agrees, the fixtures
// behave like real registries for our engine too.
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/process/Subprocess.hpp"

namespace autonomy::testing {

struct CurlReply {
  int exitCode = -1;
  int status = 0;  // 0 when no HTTP response arrived
  std::string headers;
  std::string body;
};

// curl -s -D <headers> <args...> url; the body is stdout.
inline CurlReply curl(const std::vector<std::string>& args, const std::string& url) {
  std::vector<std::string> argv{"curl", "-s", "--max-time", "20", "-D", "/dev/stderr"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  RunResult result = runCommand(argv);
  CurlReply reply{result.exitCode, 0, result.stderrText, result.stdoutText};
  // The last status line wins (a 100 Continue may precede it).
  for (std::size_t at = reply.headers.find("HTTP/"); at != std::string::npos;
       at = reply.headers.find("HTTP/", at + 1)) {
    auto space = reply.headers.find(' ', at);
    if (space != std::string::npos) reply.status = std::atoi(reply.headers.c_str() + space + 1);
  }
  return reply;
}

// Value of a response header (case-insensitive name), without the trailing CR; empty if absent.
inline std::string headerValue(const std::string& headers, const std::string& name) {
  std::string lowerHeaders = headers;
  std::string lowerName = name + ":";
  for (auto& c : lowerHeaders) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : lowerName) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = lowerHeaders.rfind("\n" + lowerName);
  if (at == std::string::npos) return {};
  auto start = at + 1 + lowerName.size();
  auto end = headers.find('\n', start);
  std::string value = headers.substr(start, end - start);
  while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  while (!value.empty() && value.front() == ' ') value.erase(value.begin());
  return value;
}

}  // namespace autonomy::testing
