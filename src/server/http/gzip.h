// gzip content coding (RFC 9110, 8.4.1.3) of response bodies, with zlib.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace apex {

// Whether an Accept-Encoding header value accepts gzip (listed with a q-value above 0, or
// by "*").
bool accepts_gzip(std::string_view accept_encoding);

// Whether a body of this Content-Type is worth compressing: text, JSON, JavaScript, SVG.
bool compressible_type(std::string_view content_type);

// The strong ETag of the gzip representation of a body tagged `etag` ("\"abc\"" ->
// "\"abc-gzip\""): two representations never share a strong tag (RFC 9110, 8.8.3).
std::string gzip_etag(std::string_view etag);

// The gzip stream of `body`; nullopt if zlib fails (the body is then sent as it is).
std::optional<std::string> gzip_compress(std::string_view body);

}  // namespace apex
