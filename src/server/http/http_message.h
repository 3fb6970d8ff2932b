// A request and a response as the API sees them, independent of the HTTP server that
// parsed or will write them (server/http/http_server.h): the route table, the dashboard's
// static files and the access log work on these.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apex {

// Header fields in arrival order; names compare case-insensitively (RFC 9110, 5.1).
class HttpHeaders {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name with one.
  void set(std::string_view name, std::string value);
  bool has(std::string_view name) const;
  // The first field of that name, or "" when there is none.
  std::string value(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct ServerRequest {
  std::string method;  // as sent: GET, HEAD, POST, ...
  std::string target;  // as sent: path and query, percent-encoded
  std::string path;    // the target's path, percent-decoded
  // The query's parameters, percent-decoded ('+' is a space), in order; a name may repeat.
  std::multimap<std::string, std::string> params;
  HttpHeaders headers;
  std::string body;

  std::string get_header_value(std::string_view name) const { return headers.value(name); }
  bool has_header(std::string_view name) const { return headers.has(name); }
  std::size_t get_param_value_count(const std::string& name) const { return params.count(name); }
};

struct ServerResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  void set_header(std::string_view name, std::string value) { headers.set(name, std::move(value)); }
  void set_content(std::string content, std::string content_type) {
    body = std::move(content);
    headers.set("Content-Type", std::move(content_type));
  }
};

// Percent-decodes `text`; with `plus_is_space` (query strings) a '+' becomes a space. A '%'
// not followed by two hex digits is kept as it is.
std::string percent_decode(std::string_view text, bool plus_is_space);

// The origin form (path and query) of a request target. RFC 9112, 3.2.2: a server accepts
// the absolute form ("http://host/path?q", sent to proxies) too; its authority is dropped
// and an empty path is "/". Any other target is returned as it is.
std::string origin_form(std::string_view target);

// How many bytes of empty lines (CRLF or LF) open `bytes`: RFC 9112, 2.2 has a server ignore
// them before a request line (some clients send one after a POST's body).
std::size_t leading_empty_lines(std::string_view bytes);

// Whether the header section at the start of `bytes` (up to its blank line, or all of
// `bytes` while it is incomplete) has a line that begins with a space or a tab: obsolete
// line folding, or whitespace before the first field. RFC 9112, 5.2 and 2.2 let a server
// refuse either, and this server does: a proxy in front might read the line otherwise.
bool has_folded_line(std::string_view bytes);

// Splits a request target into its decoded path and query parameters.
void parse_target(std::string_view target, std::string& path,
                  std::multimap<std::string, std::string>& params);

}  // namespace apex
