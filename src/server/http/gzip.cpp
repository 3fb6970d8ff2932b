#include "server/http/gzip.h"

#include <zlib.h>

#include <cstdlib>

#include "core/text.h"

namespace apex {

namespace {

// The q-value of one Accept-Encoding element ("gzip;q=0.5"); 1 when absent.
double quality_of(std::string_view element) {
  const auto semicolon = element.find(';');
  if (semicolon == std::string_view::npos) return 1.0;
  std::string params = lower(element.substr(semicolon + 1));
  const auto q = params.find("q=");
  if (q == std::string::npos) return 1.0;
  return std::strtod(params.c_str() + q + 2, nullptr);
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view element = trim(accept_encoding.substr(0, comma));
    const std::string_view coding = trim(element.substr(0, element.find(';')));
    if ((iequals(coding, "gzip") || coding == "*") && quality_of(element) > 0) return true;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return false;
}

bool compressible_type(std::string_view content_type) {
  const std::string type = lower(content_type);
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/javascript") || type.starts_with("image/svg+xml") ||
         type.starts_with("application/manifest+json");
}

std::string gzip_etag(std::string_view etag) {
  std::string tag(etag);
  if (tag.size() >= 2 && tag.back() == '"') tag.insert(tag.size() - 1, "-gzip");
  return tag;
}

std::optional<std::string> gzip_compress(std::string_view body) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace apex
