#include "storage/sigv4_signer.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "storage/content_digest.h"

namespace apex::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Derived per request: the key is never stored or returned.
std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  std::string k_date = hmac_sha256("AWS4" + std::string(secret), date);
  std::string k_region = hmac_sha256(k_date, region);
  std::string k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, kTerminator);
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

std::string uri_encode_component(std::string_view text) {
  return encode(text, false);
}

std::string uri_encode_path(std::string_view path) {
  return encode(path, true);
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  bool directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
  if (directory && !segments.empty()) out += '/';
  return out;
}

std::string canonical_query_string(const HeaderList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(uri_encode_component(name), uri_encode_component(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

SignedRequest sign(const Request& request, const Credentials& credentials, const Options& options,
                   std::chrono::system_clock::time_point now) {
  SignedRequest result;
  const std::string timestamp = amz_date(now);
  const std::string date = timestamp.substr(0, 8);

  // Headers added by the signer take part in the signature like the caller's.
  HeaderList added;
  added.emplace_back("x-amz-date", timestamp);
  if (options.add_content_sha256_header) added.emplace_back("x-amz-content-sha256", request.payload_hash);
  bool has_token = !credentials.session_token.empty();
  if (has_token && options.sign_session_token)
    added.emplace_back("x-amz-security-token", credentials.session_token);

  // Repeated names join their values with ',' in the order given.
  std::map<std::string, std::string> canonical;
  auto add_canonical = [&](std::string_view name, std::string_view value) {
    auto [it, inserted] = canonical.try_emplace(lower(name), canonical_header_value(value));
    if (!inserted) it->second += "," + canonical_header_value(value);
  };
  for (const auto& [name, value] : request.headers) add_canonical(name, value);
  for (const auto& [name, value] : added) add_canonical(name, value);

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : canonical) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  std::string path = options.normalize_path ? normalize_path(request.path) : request.path;
  result.canonical_request = request.method + "\n" + uri_encode_path(path) + "\n" +
                             canonical_query_string(request.query) + "\n" + canonical_headers + "\n" +
                             signed_headers + "\n" + request.payload_hash;

  const std::string scope =
      date + "/" + options.region + "/" + options.service + "/" + std::string(kTerminator);
  result.string_to_sign =
      std::string(kAlgorithm) + "\n" + timestamp + "\n" + scope + "\n" + sha256_hex(result.canonical_request);

  result.signature = to_hex(
      hmac_sha256(derive_signing_key(credentials.secret_access_key, date, options.region, options.service),
                  result.string_to_sign));

  result.headers = std::move(added);
  if (has_token && !options.sign_session_token)
    result.headers.emplace_back("x-amz-security-token", credentials.session_token);
  result.headers.emplace_back(
      "authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                           ", SignedHeaders=" + signed_headers + ", Signature=" + result.signature);
  return result;
}

}  // namespace apex::sigv4
