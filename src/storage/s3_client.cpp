#include "storage/s3_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "storage/content_digest.h"
#include "storage/s3_xml.h"

namespace apex {

namespace s3wire {

namespace {

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string decode_base64(std::string_view text) {
  std::string out(3 * ((text.size() + 3) / 4), '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || text.size() % 4 != 0) return {};
  // EVP_DecodeBlock counts the bytes of the '=' padding as well.
  const auto padding = static_cast<std::size_t>(
      std::count(text.end() - std::min<std::size_t>(text.size(), 2), text.end(), '='));
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

BodyMd5 body_md5(std::string_view body) {
  ContentDigest digest(DigestAlgorithm::Md5);
  digest.update(body);
  std::string raw = digest.finish();
  return BodyMd5{base64(raw), to_hex(raw)};
}

bool etag_is_content_md5(const HttpResponse& response, std::string_view etag) {
  std::string encryption = response.header("x-amz-server-side-encryption");
  return is_lower_hex(etag, 32) && !encryption.starts_with("aws:kms") &&
         response.header("x-amz-server-side-encryption-customer-algorithm").empty();
}

sigv4::HeaderList put_headers(const PutOptions& options) {
  sigv4::HeaderList headers;
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  if (!options.acl.empty()) headers.emplace_back("x-amz-acl", options.acl);
  for (const auto& [name, value] : options.metadata) headers.emplace_back("x-amz-meta-" + name, value);
  return headers;
}

// The checksums of the whole object a HEAD (sent with x-amz-checksum-mode: ENABLED)
// answers. A composite CRC of a multipart upload ("base64-N", or x-amz-checksum-type
// COMPOSITE) covers the parts' CRCs, not the bytes, and is left out; so is anything
// malformed, which leaves the object unverified rather than unreadable.
StoredChecksums stored_checksums(const HttpResponse& head) {
  StoredChecksums checksums;
  const std::string crc = head.header("x-amz-checksum-crc32c");
  const std::string type = head.header("x-amz-checksum-type");
  if (!crc.empty() && crc.find('-') == std::string::npos && (type.empty() || type == "FULL_OBJECT")) {
    std::string raw = decode_base64(crc);
    if (raw.size() == 4) checksums.crc32c = std::move(raw);
  }
  const std::string xxh128 = head.header("x-amz-meta-" + std::string(kStoredXxh128Metadata));
  if (is_lower_hex(xxh128, 32)) checksums.xxh128_hex = xxh128;
  const std::string md5 = head.header("x-amz-meta-" + std::string(kStoredMd5Metadata));
  if (is_lower_hex(md5, 32)) checksums.md5_hex = md5;
  return checksums;
}

}  // namespace s3wire

S3Client::S3Client(const S3Settings& settings, const S3StoreOptions& options,
                   std::unique_ptr<HttpTransport> transport)
    : bucket_(settings.bucket),
      region_(settings.region),
      prefix_(settings.prefix),
      endpoint_url_(settings.endpoint_url),
      credentials_{settings.access_key_id, settings.secret_access_key, settings.session_token},
      options_(options),
      http_(transport ? std::move(transport) : std::make_unique<CurlTransport>(options.timeouts)) {
  if (!settings.endpoint_url.empty()) {
    std::string_view url = settings.endpoint_url;
    auto scheme_end = url.find("://");
    auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    auto path_start = std::min(url.find('/', authority_start), url.size());
    endpoint_ = std::string(url.substr(0, path_start));
    host_ = std::string(url.substr(authority_start, path_start - authority_start));
    base_path_ = std::string(url.substr(path_start));
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
    path_style_ = true;
  } else if (bucket_.find('.') != std::string::npos) {
    host_ = "s3." + region_ + ".amazonaws.com";
    endpoint_ = "https://" + host_;
    path_style_ = true;
  } else {
    host_ = bucket_ + ".s3." + region_ + ".amazonaws.com";
    endpoint_ = "https://" + host_;
  }
  switch (options_.delimiter_mode) {
    case S3StoreOptions::DelimiterMode::Auto:
      server_delimiter_ = settings.endpoint_url.empty();
      break;
    case S3StoreOptions::DelimiterMode::Server:
      server_delimiter_ = true;
      break;
    case S3StoreOptions::DelimiterMode::Client:
      server_delimiter_ = false;
      break;
  }
}

S3Client::~S3Client() = default;

std::string S3Client::describe() const {
  std::string where = "s3://" + bucket_ + "/" + prefix_;
  return endpoint_url_.empty() ? where + " (region " + region_ + ")" : where + " at " + endpoint_url_;
}

std::string S3Client::object_path(std::string_view full_key) const {
  return base_path_ + (path_style_ ? "/" + bucket_ : std::string()) + "/" + std::string(full_key);
}

std::string S3Client::bucket_path() const {
  return path_style_ ? base_path_ + "/" + bucket_ : base_path_ + "/";
}

std::string S3Client::location_of(std::string_view full_key) const {
  return "s3://" + bucket_ + "/" + std::string(full_key);
}

S3ErrorContext S3Client::context(std::string action) const {
  S3ErrorContext context;
  context.action = std::move(action);
  context.bucket = bucket_;
  context.region = region_;
  context.endpoint = endpoint_ + base_path_;
  context.anonymous = credentials_.anonymous();
  context.has_session_token = !credentials_.session_token.empty();
  context.access_key_hint = access_key_hint(credentials_.access_key_id);
  return context;
}

Error S3Client::redact(Error error) const {
  // Messages are built without secrets; this guards against a server echoing one back.
  for (const std::string* secret : {&credentials_.secret_access_key, &credentials_.session_token}) {
    if (secret->empty()) continue;
    for (auto pos = error.message.find(*secret); pos != std::string::npos;
         pos = error.message.find(*secret, pos))
      error.message.replace(pos, secret->size(), "[redacted]");
  }
  return error;
}

Error S3Client::fail(const HttpResponse& response, const S3ErrorContext& context) const {
  auto body = s3xml::parse_error(response.body).value_or(s3xml::ErrorBody{});
  if (body.code.empty()) body.code = response.header("x-amz-error-code");
  // A wrong-region answer to HEAD has no body; S3 names the bucket's region in a header.
  if (body.region.empty()) body.region = response.header("x-amz-bucket-region");
  return redact(classify_s3_error(response.status, body, context));
}

void S3Client::backoff(int attempt) const {
  thread_local std::mt19937_64 random{std::random_device{}()};
  auto cap = options_.initial_backoff * (1LL << std::min(attempt - 1, 20));
  cap = std::min<std::chrono::milliseconds>(cap, options_.max_backoff);
  // "Equal jitter": at least half the cap, so retries neither stampede nor stall.
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(cap.count() / 2, 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(cap.count() - cap.count() / 2 + jitter(random)));
}

HttpResult S3Client::send_once(const Call& call, const HttpStream* stream, const FileBody* file) const {
  HttpRequest request;
  request.method = call.method;
  request.url = endpoint_ + sigv4::uri_encode_path(call.path);
  if (!call.query.empty()) request.url += "?" + sigv4::canonical_query_string(call.query);
  request.body = call.body;
  if (file) request.body_file = file->slice;
  request.headers = call.headers;
  request.headers.emplace_back("host", host_);
  if (!credentials_.anonymous()) {
    sigv4::Request to_sign{call.method, call.path, call.query, request.headers,
                           std::string(sigv4::kEmptyPayloadHash)};
    if (file && !file->sha256_hex.empty())
      to_sign.payload_hash = file->sha256_hex;
    else if (file && file->slice.length > 0)
      to_sign.payload_hash = std::string(sigv4::kUnsignedPayload);  // hashing it here would read it twice
    else if (!call.body.empty())
      to_sign.payload_hash =
          options_.sign_payload ? sha256_hex(call.body) : std::string(sigv4::kUnsignedPayload);
    sigv4::Options sign_options;
    sign_options.region = region_;
    auto signed_request = sigv4::sign(to_sign, credentials_, sign_options, std::chrono::system_clock::now());
    for (auto& header : signed_request.headers) request.headers.push_back(std::move(header));
  }
  return http_->perform(request, stream);
}

Result<HttpResponse> S3Client::send(const Call& call, const S3ErrorContext& context,
                                    const FileBody* file) const {
  for (int attempt = 1;; ++attempt) {
    HttpResult result = send_once(call, nullptr, file);
    bool last = attempt >= options_.max_attempts;
    if (result.failure) {
      if (result.failure->retryable && !last) {
        backoff(attempt);
        continue;
      }
      return std::unexpected(
          redact(classify_transport_error(result.failure->detail, result.failure->timed_out, context)));
    }
    const HttpResponse& response = result.response;
    if (!is_success(response.status) && !last) {
      auto body = s3xml::parse_error(response.body).value_or(s3xml::ErrorBody{});
      if (is_retryable_s3_error(response.status, body.code)) {
        backoff(attempt);
        continue;
      }
    }
    return std::move(result.response);
  }
}

Result<HttpResponse> S3Client::send_ok(const Call& call, const S3ErrorContext& context,
                                       const FileBody* file) const {
  auto response = send(call, context, file);
  if (response && !is_success(response->status)) return std::unexpected(fail(*response, context));
  return response;
}

bool S3Client::bucket_exists() const {
  auto response = send(Call{"HEAD", bucket_path(), {}, {}, {}}, context("check bucket"));
  return !response || response->status != 404;
}

}  // namespace apex
