#include "engine/core/Printable.hpp"

namespace autonomy {

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string quotedText(std::string_view text) {
  constexpr std::size_t kShown = 64;
  std::string out = "'" + printable(text.substr(0, kShown));
  if (text.size() > kShown) out += "…(" + std::to_string(text.size()) + " characters)";
  return out + "'";
}

}  // namespace autonomy
