#include "engine/core/SecretFile.hpp"

#include <fstream>
#include <sstream>

namespace autonomy {

Result<std::string> readSecretFile(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) return makeError(ErrorCode::kConfig, std::string(what) + ": cannot read " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace autonomy
