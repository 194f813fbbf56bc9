#pragma once
// Text that came from elsewhere (a registry's error body or headers, a daemon's reply, an API
// client's field) made safe for one log or terminal line: control characters, newlines included,
// become \xNN, so nobody can forge a journal line or move the cursor of an operator's terminal.
#include <string>
#include <string_view>

namespace autonomy {

std::string printable(std::string_view text);
// Input echoed into a message: 'text' in quotes, at most 64 characters, control characters escaped.
std::string quotedText(std::string_view text);

}  // namespace autonomy
