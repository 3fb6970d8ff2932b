#include "server/http/access_log.h"

#include <array>

#include "core/text.h"
#include "server/http/http_message.h"

namespace apex {

namespace {

bool secret_name(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kWords{"token",  "key",        "signature", "password",
                                                          "secret", "credential", "auth",      "session"};
  const std::string folded = lower(name);
  for (std::string_view word : kWords)
    if (folded.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string log_escaped(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min(text.size(), max_bytes);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::string loggable_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return log_escaped(target);
  std::string out(target.substr(0, question + 1));
  std::string_view rest = target.substr(question + 1);
  bool first = true;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (!first) out.push_back('&');
    first = false;
    // By the name the application reads: %74oken is token.
    if (eq != std::string_view::npos && secret_name(percent_decode(pair.substr(0, eq), true)))
      out += std::string(pair.substr(0, eq)) + "=***";
    else
      out += pair;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return log_escaped(out);
}

}  // namespace apex
