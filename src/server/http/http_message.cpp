#include "server/http/http_message.h"

#include <algorithm>

#include "core/text.h"

namespace apex {

void HttpHeaders::set(std::string_view name, std::string value) {
  std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
  fields_.emplace_back(std::string(name), std::move(value));
}

bool HttpHeaders::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& field) { return iequals(field.first, name); });
}

std::string HttpHeaders::value(std::string_view name) const {
  for (const auto& [field, value] : fields_)
    if (iequals(field, name)) return value;
  return {};
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return out;
}

std::string origin_form(std::string_view target) {
  const auto scheme_end = target.find("://");
  if (target.empty() || target.front() == '/' || scheme_end == std::string_view::npos)
    return std::string(target);
  const auto scheme = target.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return std::string(target);
  const auto rest = target.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?");
  if (path_start == std::string_view::npos) return "/";
  const auto path = rest.substr(path_start);
  std::string origin = path.front() == '?' ? "/" : "";
  origin.append(path);
  return origin;
}

std::size_t leading_empty_lines(std::string_view bytes) {
  std::size_t at = 0;
  while (true) {
    if (bytes.substr(at, 2) == "\r\n")
      at += 2;
    else if (bytes.substr(at, 1) == "\n")
      at += 1;
    else
      return at;
  }
}

bool has_folded_line(std::string_view bytes) {
  const auto end = bytes.find("\r\n\r\n");
  const auto header = bytes.substr(0, end == std::string_view::npos ? bytes.size() : end + 2);
  for (auto at = header.find('\n'); at != std::string_view::npos; at = header.find('\n', at + 1))
    if (at + 1 < header.size() && (header[at + 1] == ' ' || header[at + 1] == '\t')) return true;
  return false;
}

void parse_target(std::string_view target, std::string& path,
                  std::multimap<std::string, std::string>& params) {
  const auto question = target.find('?');
  path = percent_decode(target.substr(0, question), false);
  params.clear();
  if (question == std::string_view::npos) return;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      std::string name = percent_decode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
      if (!name.empty()) params.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

}  // namespace apex
