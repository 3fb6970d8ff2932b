#include "server/request_validation.h"

#include <openssl/crypto.h>

#include <cctype>

#include "storage/content_digest.h"

namespace apex {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not well-formed
// (overlong forms, surrogates and values above U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char min_second = 0x80, max_second = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) min_second = 0xA0;  // overlong
    if (c == 0xED) max_second = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) min_second = 0x90;  // overlong
    if (c == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

// Shared by path and query checks: UTF-8 (JSON answers and messages echo the value, and
// JSON cannot carry invalid UTF-8) and no control characters, NUL included.
std::optional<std::string> text_problem(std::string_view what, std::string_view value) {
  for (std::size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7F) return std::string(what) + " contains a control character";
    const std::size_t n = utf8_sequence_length(value, i);
    if (n == 0) return std::string(what) + " is not valid UTF-8";
    i += n;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> path_parameter_problem(std::string_view name, std::string_view value) {
  const std::string what = "path parameter '" + std::string(name) + "'";
  if (value.empty()) return what + " is empty";
  if (value.size() > kMaxPathParameterBytes)
    return what + " is longer than " + std::to_string(kMaxPathParameterBytes) + " bytes";
  if (auto problem = text_problem(what, value)) return problem;
  if (value.find('/') != std::string_view::npos || value.find('\\') != std::string_view::npos)
    return what + " contains a slash";
  if (value.find("..") != std::string_view::npos) return what + " contains '..'";
  return std::nullopt;
}

std::optional<std::string> query_value_problem(std::string_view name, std::string_view value) {
  const std::string what = "query parameter '" + std::string(name) + "'";
  if (value.size() > kMaxQueryValueBytes)
    return what + " is longer than " + std::to_string(kMaxQueryValueBytes) + " bytes";
  return text_problem(what, value);
}

std::optional<std::string> raw_target_problem(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  for (std::size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] != '%') continue;
    const char hi = path[i + 1];
    const char lo = static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 2])));
    if (hi == '2' && lo == 'F') return std::string("the path contains an encoded slash (%2F)");
    if (hi == '5' && lo == 'C') return std::string("the path contains an encoded backslash (%5C)");
    if (hi == '0' && lo == '0') return std::string("the path contains an encoded NUL byte (%00)");
  }
  if (target.find('\0') != std::string_view::npos)
    return std::string("the request target contains a NUL byte");
  return std::nullopt;
}

bool bearer_token_matches(std::string_view header, std::string_view expected_token) {
  // RFC 6750: "Bearer" is case-insensitive, then one or more spaces, then the token.
  constexpr std::string_view kScheme = "bearer";
  bool scheme_ok = header.size() > kScheme.size() && header[kScheme.size()] == ' ';
  for (std::size_t i = 0; scheme_ok && i < kScheme.size(); ++i)
    scheme_ok = std::tolower(static_cast<unsigned char>(header[i])) == kScheme[i];
  std::string_view presented = scheme_ok ? header.substr(kScheme.size()) : std::string_view();
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  // Comparing digests of equal size with CRYPTO_memcmp: no early exit at the first
  // differing byte, and no shortcut on a length mismatch.
  const std::string a = sha256(presented);
  const std::string b = sha256(expected_token);
  const bool same = CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return scheme_ok && !expected_token.empty() && same;
}

}  // namespace apex
