#include "storage/s3_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "storage/content_digest.h"
#include "storage/listing_rollup.h"
#include "storage/s3_xml.h"

namespace apex {

namespace {

// Completing a multipart upload can fail inside a 200 answer; a few tries cover S3's
// documented "InternalError in the body" case.
constexpr int kCompleteAttempts = 3;

bool is_plain_md5(std::string_view etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Whether the ETag of an answer is the MD5 of the object's bytes: not for multipart uploads
// ("-N" suffix) and not for SSE-KMS or SSE-C encrypted objects, whose ETags are opaque.
bool etag_is_content_md5(const HttpResponse& response, std::string_view etag) {
  std::string encryption = response.header("x-amz-server-side-encryption");
  return is_plain_md5(etag) && !encryption.starts_with("aws:kms") &&
         response.header("x-amz-server-side-encryption-customer-algorithm").empty();
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

struct ContentRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;              // inclusive
  std::optional<std::uint64_t> total;  // nullopt for "*"
};

// "bytes 100-199/1000" (or ".../*")
std::optional<ContentRange> parse_content_range(std::string_view text) {
  if (!text.starts_with("bytes ")) return std::nullopt;
  text.remove_prefix(6);
  auto dash = text.find('-');
  auto slash = text.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return std::nullopt;
  auto first = parse_u64(text.substr(0, dash));
  auto last = parse_u64(text.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  std::string_view total = text.substr(slash + 1);
  if (total != "*") {
    range.total = parse_u64(total);
    if (!range.total) return std::nullopt;
  }
  return range;
}

// Fills buffer from source up to `want` bytes; *eof when the source ended first.
Status fill(const ByteSource& source, std::string& buffer, std::size_t want, bool* eof) {
  std::size_t have = buffer.size();
  *eof = false;
  while (have < want) {
    // Grow as bytes arrive: a 3-byte object must not cost a threshold-sized buffer.
    if (buffer.size() == have) buffer.resize(std::min(want, std::max<std::size_t>(have * 2, 64 * 1024)));
    auto n = source(buffer.data() + have, buffer.size() - have);
    if (!n) {
      buffer.resize(have);
      return std::unexpected(n.error());
    }
    if (*n == 0) {
      *eof = true;
      break;
    }
    have += *n;
  }
  buffer.resize(have);
  return {};
}

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The MD5 of a body, hashed once: base64 for the Content-MD5 header (the server recomputes
// it and refuses a body damaged on the way), hex to compare with the ETag answered.
struct BodyMd5 {
  std::string base64;
  std::string hex;
};

BodyMd5 body_md5(std::string_view body) {
  ContentDigest digest(DigestAlgorithm::Md5);
  digest.update(body);
  std::string raw = digest.finish();
  return BodyMd5{base64(raw), to_hex(raw)};
}

sigv4::HeaderList put_headers(const PutOptions& options) {
  sigv4::HeaderList headers;
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  if (!options.acl.empty()) headers.emplace_back("x-amz-acl", options.acl);
  for (const auto& [name, value] : options.metadata) headers.emplace_back("x-amz-meta-" + name, value);
  return headers;
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

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The checksums of the whole object a HEAD (sent with x-amz-checksum-mode: ENABLED)
// answers. A composite CRC of a multipart upload ("base64-N", or x-amz-checksum-type
// COMPOSITE) covers the parts' CRCs, not the bytes, and is left out; so is anything
// malformed, which leaves the object unverified rather than unreadable.
StoredChecksums stored_checksums(const HttpResponse& head);

// What a whole object read in one GET is checked against: the ETag when it is the content's
// MD5 (a single-part upload), else the digest `apex upload` stored in the object's metadata
// (a multipart upload's ETag is no digest of the content). Nothing when neither exists.
struct WholeObjectCheck {
  DigestAlgorithm algorithm;
  std::string expected_hex;
  std::string algorithm_name;
  std::string source;  // where the expected digest came from, for messages
  ContentDigest digest{algorithm};
};

std::optional<WholeObjectCheck> whole_object_check(const HttpResponse& head, const std::string& etag) {
  if (etag_is_content_md5(head, etag))
    return WholeObjectCheck{DigestAlgorithm::Md5, etag, "MD5", "the object's ETag"};
  const StoredChecksums stored = stored_checksums(head);
  const auto metadata = [](std::string_view name) {
    return "its x-amz-meta-" + std::string(name) + " from upload";
  };
  if (!stored.xxh128_hex.empty())
    return WholeObjectCheck{DigestAlgorithm::Xxh128, stored.xxh128_hex, "XXH3-128",
                            metadata(kStoredXxh128Metadata)};
  if (!stored.md5_hex.empty())
    return WholeObjectCheck{DigestAlgorithm::Md5, stored.md5_hex, "MD5", metadata(kStoredMd5Metadata)};
  return std::nullopt;
}

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

std::string quote_etag(std::string_view etag) {
  if (etag.starts_with('"') || etag.starts_with("W/")) return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

}  // namespace

S3Store::S3Store(const S3Settings& settings, S3StoreOptions options, std::unique_ptr<HttpTransport> transport)
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

S3Store::~S3Store() = default;

std::string S3Store::describe() const {
  std::string where = "s3://" + bucket_ + "/" + prefix_;
  return endpoint_url_.empty() ? where + " (region " + region_ + ")" : where + " at " + endpoint_url_;
}

std::string S3Store::object_path(std::string_view full_key) const {
  return base_path_ + (path_style_ ? "/" + bucket_ : std::string()) + "/" + std::string(full_key);
}

std::string S3Store::bucket_path() const {
  return path_style_ ? base_path_ + "/" + bucket_ : base_path_ + "/";
}

std::string S3Store::location_of(std::string_view full_key) const {
  return "s3://" + bucket_ + "/" + std::string(full_key);
}

S3ErrorContext S3Store::context(std::string action) const {
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

Error S3Store::redact(Error error) const {
  // Messages are built without secrets; this guards against a server echoing one back.
  for (const std::string* secret : {&credentials_.secret_access_key, &credentials_.session_token}) {
    if (secret->empty()) continue;
    for (auto pos = error.message.find(*secret); pos != std::string::npos;
         pos = error.message.find(*secret, pos))
      error.message.replace(pos, secret->size(), "[redacted]");
  }
  return error;
}

Error S3Store::fail(const HttpResponse& response, const S3ErrorContext& context) const {
  auto body = s3xml::parse_error(response.body).value_or(s3xml::ErrorBody{});
  if (body.code.empty()) body.code = response.header("x-amz-error-code");
  // A wrong-region answer to HEAD has no body; S3 names the bucket's region in a header.
  if (body.region.empty()) body.region = response.header("x-amz-bucket-region");
  return redact(classify_s3_error(response.status, body, context));
}

void S3Store::backoff(int attempt) const {
  thread_local std::mt19937_64 random{std::random_device{}()};
  auto cap = options_.initial_backoff * (1LL << std::min(attempt - 1, 20));
  cap = std::min<std::chrono::milliseconds>(cap, options_.max_backoff);
  // "Equal jitter": at least half the cap, so retries neither stampede nor stall.
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(cap.count() / 2, 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(cap.count() - cap.count() / 2 + jitter(random)));
}

HttpResult S3Store::send_once(const Call& call, const HttpStream* stream, const FileBody* file) const {
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

Result<HttpResponse> S3Store::send(const Call& call, const S3ErrorContext& context,
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

bool S3Store::bucket_exists() const {
  auto response = send(Call{"HEAD", bucket_path(), {}, {}, {}}, context("check bucket"));
  return !response || response->status != 404;
}

Result<Listing> S3Store::list(std::string_view prefix, std::optional<char> delimiter) {
  const std::string full_prefix = prefix_ + std::string(prefix);
  const bool server_delimiter = delimiter && server_delimiter_;
  auto ctx = context("list " + location_of(full_prefix));
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  std::string token;
  do {
    sigv4::HeaderList query{
        {"list-type", "2"}, {"prefix", full_prefix}, {"max-keys", std::to_string(options_.list_page_size)}};
    if (server_delimiter) query.emplace_back("delimiter", std::string(1, *delimiter));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto response = send(Call{"GET", bucket_path(), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(fail(*response, ctx));
    auto page = s3xml::parse_list_objects_v2(response->body);
    if (!page) return make_error(page.error().kind, "cannot " + ctx.action + ": " + page.error().message);
    for (auto& object : page->objects) {
      if (!object.key.starts_with(prefix_)) continue;
      objects.push_back(ObjectInfo{object.key.substr(prefix_.size()), object.size, std::move(object.etag)});
    }
    for (auto& common : page->common_prefixes)
      if (common.starts_with(prefix_)) common_prefixes.push_back(common.substr(prefix_.size()));
    if (page->truncated && page->next_continuation_token == token)
      return make_error(ErrorKind::Corrupt,
                        "cannot " + ctx.action + ": the server repeated a continuation token");
    token = page->truncated ? page->next_continuation_token : std::string();
  } while (!token.empty());

  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  objects.erase(std::unique(objects.begin(), objects.end(),
                            [](const auto& a, const auto& b) { return a.key == b.key; }),
                objects.end());
  if (delimiter && !server_delimiter) return rollup_listing(std::move(objects), prefix, delimiter);
  std::sort(common_prefixes.begin(), common_prefixes.end());
  common_prefixes.erase(std::unique(common_prefixes.begin(), common_prefixes.end()), common_prefixes.end());
  return Listing{std::move(objects), std::move(common_prefixes)};
}

Result<ObjectInfo> S3Store::stat(std::string_view key) {
  auto stat = stat_with_checksums(key);
  if (!stat) return std::unexpected(stat.error());
  return std::move(stat->info);
}

Result<VerifiableObjectInfo> S3Store::stat_with_checksums(std::string_view key) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("stat " + location_of(full_key));
  auto response =
      send(Call{"HEAD", object_path(full_key), {}, {{"x-amz-checksum-mode", "ENABLED"}}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  if (response->status == 404 && !bucket_exists())
    return std::unexpected(redact(classify_s3_error(404, s3xml::ErrorBody{"NoSuchBucket", "", ""}, ctx)));
  if (response->status != 200) return std::unexpected(fail(*response, ctx));
  auto size = parse_u64(response->header("content-length"));
  if (!size)
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the answer has no Content-Length");
  return VerifiableObjectInfo{
      ObjectInfo{std::string(key), *size, s3xml::unquote_etag(response->header("etag"))},
      stored_checksums(*response)};
}

Status S3Store::read(std::string_view key, ByteRange range, const ByteSink& sink) {
  if (range.offset != 0 || range.length) {
    auto result = get_object(key, range, {}, sink);
    if (!result) return std::unexpected(result.error());
    return {};
  }
  // Held back until the digest check (see whole_object_check): a body cut short with a matching
  // Content-Length (or otherwise damaged on the way) is then read again instead of failing the whole load.
  for (int attempt = 1;; ++attempt) {
    std::string held;
    bool streaming = false;  // past kVerifiedReadBytes: bytes go straight to the sink
    bool damaged = false;
    auto result = get_object(
        key, range, {},
        [&](std::string_view chunk) -> Status {
          if (!streaming && held.size() + chunk.size() <= kVerifiedReadBytes) {
            held.append(chunk);
            return {};
          }
          if (!streaming) {
            streaming = true;
            if (auto ok = sink(held); !ok) return ok;
            held = std::string();
          }
          return sink(chunk);
        },
        &damaged);
    if (result) return streaming || held.empty() ? Status{} : sink(held);
    if (!damaged || streaming || attempt >= options_.max_attempts) return std::unexpected(result.error());
    backoff(attempt);
  }
}

Result<S3Store::ConditionalRead> S3Store::read_if_changed(std::string_view key, std::string_view version,
                                                          const ByteSink& sink) {
  return get_object(key, ByteRange{}, version, sink);
}

Result<S3Store::ConditionalRead> S3Store::get_object(std::string_view key, ByteRange range,
                                                     std::string_view if_none_match, const ByteSink& sink,
                                                     bool* damaged) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("read " + location_of(full_key));
  auto range_error = [&](std::uint64_t size) {
    return make_error(ErrorKind::InvalidInput, "range starts at " + std::to_string(range.offset) +
                                                   " beyond the end of '" + std::string(key) + "' (" +
                                                   std::to_string(size) + " bytes)");
  };
  // Reading nothing, or from exactly the end, is valid on disk; S3 would answer 416.
  auto empty_read = [&]() -> Result<ConditionalRead> {
    auto info = stat(key);
    if (!info) return std::unexpected(info.error());
    if (range.offset > info->size) return range_error(info->size);
    return ConditionalRead{true, *info};
  };
  if (range.length && *range.length == 0) return empty_read();

  ConditionalRead outcome{true, ObjectInfo{std::string(key), 0, {}}};
  std::uint64_t next = range.offset;  // absolute offset of the next byte the sink gets
  std::optional<std::uint64_t> end;   // exclusive end of what the sink gets, once known
  if (range.length) end = range.offset + *range.length;
  bool have_head = false;
  std::optional<WholeObjectCheck> check;
  int failures = 0;

  while (true) {
    sigv4::HeaderList headers;
    if (next > 0 || range.length)
      headers.emplace_back("range",
                           "bytes=" + std::to_string(next) + "-" + (end ? std::to_string(*end - 1) : ""));
    if (have_head && !outcome.info.version.empty()) {
      headers.emplace_back("if-match", quote_etag(outcome.info.version));
    } else if (!if_none_match.empty()) {
      headers.emplace_back("if-none-match", quote_etag(if_none_match));
    }

    const std::uint64_t start = next;
    std::uint64_t skip = 0;  // bytes before `next` in this answer (a server that ignored Range)
    HttpStream stream;
    stream.on_head = [&](const HttpResponse& head) -> Status {
      std::uint64_t first = 0;
      std::optional<std::uint64_t> object_size;
      std::optional<std::uint64_t> body_end;
      if (head.status == 206) {
        auto content_range = parse_content_range(head.header("content-range"));
        if (!content_range)
          return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": bad Content-Range '" +
                                                    head.header("content-range") + "'");
        first = content_range->first;
        body_end = content_range->last + 1;
        object_size = content_range->total;
      } else {
        object_size = parse_u64(head.header("content-length"));
        body_end = object_size;
      }
      if (first > next)
        return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": asked for byte " +
                                                  std::to_string(next) + ", the server answered from byte " +
                                                  std::to_string(first));
      skip = next - first;
      std::string etag = s3xml::unquote_etag(head.header("etag"));
      if (!have_head) {
        have_head = true;
        outcome.info.version = etag;
        if (object_size) outcome.info.size = *object_size;
        if (body_end) end = end ? std::min(*end, *body_end) : *body_end;
        if (range.offset == 0 && !range.length && head.status == 200) check = whole_object_check(head, etag);
      } else if (!etag.empty() && !outcome.info.version.empty() && etag != outcome.info.version) {
        return make_error(
            ErrorKind::Unavailable,
            "cannot " + ctx.action + ": the object changed while it was being read; read it again");
      }
      return {};
    };
    stream.on_body = [&](std::string_view chunk) -> Status {
      std::size_t drop = static_cast<std::size_t>(std::min<std::uint64_t>(skip, chunk.size()));
      chunk.remove_prefix(drop);
      skip -= drop;
      if (end)
        chunk = chunk.substr(
            0, static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), *end - std::min(*end, next))));
      if (chunk.empty()) return {};
      if (check) check->digest.update(chunk);
      next += chunk.size();
      return sink(chunk);
    };

    HttpResult result = send_once(Call{"GET", object_path(full_key), {}, std::move(headers), {}}, &stream);
    if (result.handler_error) return std::unexpected(redact(*result.handler_error));
    if (next > start) failures = 0;
    const long status = result.response.status;

    if (result.failure) {
      if (result.failure->retryable && ++failures < options_.max_attempts) {
        backoff(failures);
        continue;
      }
      return std::unexpected(
          redact(classify_transport_error(result.failure->detail, result.failure->timed_out, ctx)));
    }
    if (status == 304 && !have_head) {
      return ConditionalRead{false, ObjectInfo{std::string(key), 0, s3xml::unquote_etag(if_none_match)}};
    }
    if (status == 412 && have_head)
      return make_error(
          ErrorKind::Unavailable,
          "cannot " + ctx.action + ": the object changed while it was being read; read it again");
    if (status == 416 && !have_head) return empty_read();
    if (!is_success(status)) {
      auto body = s3xml::parse_error(result.response.body).value_or(s3xml::ErrorBody{});
      if (is_retryable_s3_error(status, body.code) && ++failures < options_.max_attempts) {
        backoff(failures);
        continue;
      }
      return std::unexpected(fail(result.response, ctx));
    }
    if (end && next < *end) {
      // The answer ended cleanly but short: ask again for the rest.
      if (++failures < options_.max_attempts) {
        backoff(failures);
        continue;
      }
      return make_error(ErrorKind::Unavailable, "cannot " + ctx.action +
                                                    ": the server kept ending the body early, " +
                                                    std::to_string(next - range.offset) + " of " +
                                                    std::to_string(*end - range.offset) + " bytes arrived");
    }
    if (check) {
      std::string actual = check->digest.finish_hex();
      // The stored object is whole (its digest was taken of it); these bytes were damaged on
      // the way. Unavailable (try again), never Corrupt, which a session load would record and
      // keep as a missing file; read() tries again itself when it held the bytes back.
      if (actual != check->expected_hex) {
        if (damaged) *damaged = true;
        return make_error(ErrorKind::Unavailable, "cannot " + ctx.action + ": the bytes read have " +
                                                      check->algorithm_name + " " + actual + " but " +
                                                      check->source + " is " + check->expected_hex +
                                                      " (damaged in transit); read it again");
      }
    }
    return outcome;
  }
}

Status S3Store::write(std::string_view key, const ByteSource& source) {
  if (auto ok = validate_key(key); !ok) return ok;
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("write " + location_of(full_key));
  // Read one byte past the threshold to learn which kind of upload this is.
  std::string head;
  bool eof = false;
  if (auto ok = fill(source, head, static_cast<std::size_t>(options_.multipart_threshold) + 1, &eof); !ok)
    return ok;
  if (head.size() <= options_.multipart_threshold) return put_object(full_key, head, ctx);
  return multipart_upload(full_key, std::move(head), source, ctx);
}

Status S3Store::put_object(const std::string& full_key, std::string_view body, const S3ErrorContext& context,
                           sigv4::HeaderList headers, std::string_view md5_digest) {
  const BodyMd5 md5 = md5_digest.empty() ? body_md5(body) : BodyMd5{base64(md5_digest), to_hex(md5_digest)};
  headers.emplace_back("content-md5", md5.base64);
  auto response = send(Call{"PUT", object_path(full_key), {}, std::move(headers), body}, context);
  if (!response) return std::unexpected(response.error());
  if (!is_success(response->status)) return std::unexpected(fail(*response, context));
  std::string etag = s3xml::unquote_etag(response->header("etag"));
  if (etag_is_content_md5(*response, etag) && etag != md5.hex)
    return make_error(ErrorKind::Corrupt, "cannot " + context.action + ": the server stored bytes with MD5 " +
                                              etag + ", not the ones sent (" + md5.hex + ")");
  return {};
}

Status S3Store::multipart_upload(const std::string& full_key, std::string head, const ByteSource& source,
                                 const S3ErrorContext& context) {
  const std::string path = object_path(full_key);
  auto created = send(Call{"POST", path, {{"uploads", ""}}, {}, {}}, context);
  if (!created) return std::unexpected(created.error());
  if (!is_success(created->status)) return std::unexpected(fail(*created, context));
  auto upload_id = s3xml::parse_upload_id(created->body);
  if (!upload_id)
    return make_error(upload_id.error().kind, "cannot " + context.action + ": " + upload_id.error().message);

  // Leaves no orphaned parts behind (they would be billed) when anything goes wrong.
  auto abort_with = [&](Error error) -> Status {
    (void)send(Call{"DELETE", path, {{"uploadId", *upload_id}}, {}, {}}, context);
    return std::unexpected(std::move(error));
  };

  // Parts are cut from the bytes already read, then from the rest of the source.
  std::size_t head_pos = 0;
  ByteSource chained = [&](char* buf, std::size_t capacity) -> Result<std::size_t> {
    if (head_pos < head.size()) {
      std::size_t n = std::min(capacity, head.size() - head_pos);
      std::copy_n(head.data() + head_pos, n, buf);
      head_pos += n;
      return n;
    }
    return source(buf, capacity);
  };

  std::vector<std::string> etags;
  std::string part;
  for (bool eof = false; !eof;) {
    part.clear();
    if (auto ok = fill(chained, part, static_cast<std::size_t>(options_.part_size), &eof); !ok)
      return abort_with(ok.error());
    if (part.empty()) break;
    const std::string number = std::to_string(etags.size() + 1);
    const BodyMd5 part_md5 = body_md5(part);
    auto uploaded = send(Call{"PUT",
                              path,
                              {{"partNumber", number}, {"uploadId", *upload_id}},
                              {{"content-md5", part_md5.base64}},
                              part},
                         context);
    if (!uploaded) return abort_with(uploaded.error());
    if (!is_success(uploaded->status)) return abort_with(fail(*uploaded, context));
    std::string etag = s3xml::unquote_etag(uploaded->header("etag"));
    if (etag.empty())
      return abort_with(
          Error{ErrorKind::Corrupt, "cannot " + context.action + ": part " + number + " got no ETag"});
    if (etag_is_content_md5(*uploaded, etag) && etag != part_md5.hex)
      return abort_with(Error{ErrorKind::Corrupt, "cannot " + context.action + ": part " + number +
                                                      " arrived damaged (MD5 differs from its ETag)"});
    etags.push_back(std::move(etag));
  }

  const std::string body = s3xml::complete_multipart_upload_body(etags);
  for (int attempt = 1;; ++attempt) {
    auto completed = send(Call{"POST", path, {{"uploadId", *upload_id}}, {}, body}, context);
    if (!completed) return abort_with(completed.error());
    if (!is_success(completed->status)) return abort_with(fail(*completed, context));
    // S3 may answer 200 and put the failure in the body.
    auto error = s3xml::parse_error(completed->body);
    if (!error) return {};
    if (is_retryable_s3_error(500, error->code) && attempt < kCompleteAttempts) {
      backoff(attempt);
      continue;
    }
    return abort_with(redact(classify_s3_error(500, *error, context)));
  }
}

Status S3Store::remove(std::string_view key) {
  auto info = stat(key);
  if (!info) return std::unexpected(info.error());
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("delete " + location_of(full_key));
  auto response = send(Call{"DELETE", object_path(full_key), {}, {}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  if (!is_success(response->status)) return std::unexpected(fail(*response, ctx));
  return {};
}

Status S3Store::put(std::string_view key, std::string_view body, const PutOptions& options,
                    std::string_view md5_digest) {
  if (auto ok = validate_key(key); !ok) return ok;
  const std::string full_key = prefix_ + std::string(key);
  return put_object(full_key, body, context("write " + location_of(full_key)), put_headers(options),
                    md5_digest);
}

Status S3Store::put_file(std::string_view key, const FileSlice& body, const BodyChecksum& checksum,
                         const PutOptions& options) {
  if (auto ok = validate_key(key); !ok) return ok;
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("write " + location_of(full_key));
  sigv4::HeaderList headers = put_headers(options);
  FileBody file{body, {}};
  switch (checksum.algorithm) {
    // x-amz-sdk-checksum-algorithm names the checksum sent, as AWS's SDKs do; S3 keeps the
    // checksum either way, some S3-compatible stores (moto) only with it.
    case DigestAlgorithm::Sha256:  // also the payload hash SigV4 signs
      headers.emplace_back("x-amz-checksum-sha256", base64(checksum.digest));
      headers.emplace_back("x-amz-sdk-checksum-algorithm", "SHA256");
      file.sha256_hex = to_hex(checksum.digest);
      break;
    case DigestAlgorithm::Crc32c:
      headers.emplace_back("x-amz-checksum-crc32c", base64(checksum.digest));
      headers.emplace_back("x-amz-sdk-checksum-algorithm", "CRC32C");
      break;
    case DigestAlgorithm::Md5:
      headers.emplace_back("content-md5", base64(checksum.digest));
      break;
    case DigestAlgorithm::Xxh128:
      return make_error(ErrorKind::InvalidInput,
                        "cannot " + ctx.action + ": S3 has no checksum header for XXH3-128");
  }
  auto response = send(Call{"PUT", object_path(full_key), {}, std::move(headers), {}}, ctx, &file);
  if (!response) return std::unexpected(response.error());
  if (!is_success(response->status)) return std::unexpected(fail(*response, ctx));
  if (checksum.algorithm == DigestAlgorithm::Md5) {
    std::string etag = s3xml::unquote_etag(response->header("etag"));
    if (etag_is_content_md5(*response, etag) && etag != to_hex(checksum.digest))
      return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the server stored bytes with MD5 " +
                                                etag + ", not the ones sent (" + to_hex(checksum.digest) +
                                                ")");
  }
  return {};
}

Result<ObjectHead> S3Store::head(std::string_view key) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("stat " + location_of(full_key));
  auto response = send(Call{"HEAD", object_path(full_key), {}, {}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(fail(*response, ctx));
  auto size = parse_u64(response->header("content-length"));
  if (!size)
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the answer has no Content-Length");
  ObjectHead head{ObjectInfo{std::string(key), *size, s3xml::unquote_etag(response->header("etag"))},
                  {},
                  response->header("content-type")};
  constexpr std::string_view kMeta = "x-amz-meta-";
  for (const auto& [name, value] : response->headers)
    if (name.starts_with(kMeta)) head.metadata[name.substr(kMeta.size())] = value;
  return head;
}

Result<std::string> S3Store::start_multipart(std::string_view key, const PutOptions& options) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("write " + location_of(full_key));
  auto created = send(Call{"POST", object_path(full_key), {{"uploads", ""}}, put_headers(options), {}}, ctx);
  if (!created) return std::unexpected(created.error());
  if (!is_success(created->status)) return std::unexpected(fail(*created, ctx));
  auto upload_id = s3xml::parse_upload_id(created->body);
  if (!upload_id)
    return make_error(upload_id.error().kind, "cannot " + ctx.action + ": " + upload_id.error().message);
  return *upload_id;
}

Result<std::string> S3Store::upload_part(std::string_view key, const std::string& upload_id, int part_number,
                                         std::string_view body) {
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("write " + location_of(full_key));
  const std::string number = std::to_string(part_number);
  const BodyMd5 md5 = body_md5(body);
  auto uploaded = send(Call{"PUT",
                            object_path(full_key),
                            {{"partNumber", number}, {"uploadId", upload_id}},
                            {{"content-md5", md5.base64}},
                            body},
                       ctx);
  if (!uploaded) return std::unexpected(uploaded.error());
  if (!is_success(uploaded->status)) return std::unexpected(fail(*uploaded, ctx));
  std::string etag = s3xml::unquote_etag(uploaded->header("etag"));
  if (etag.empty())
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": part " + number + " got no ETag");
  if (etag_is_content_md5(*uploaded, etag) && etag != md5.hex)
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": part " + number +
                                              " arrived damaged (MD5 differs from its ETag)");
  return etag;
}

Status S3Store::complete_multipart(std::string_view key, const std::string& upload_id,
                                   const std::vector<std::string>& part_etags) {
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("write " + location_of(full_key));
  const std::string body = s3xml::complete_multipart_upload_body(part_etags);
  for (int attempt = 1;; ++attempt) {
    auto completed = send(Call{"POST", object_path(full_key), {{"uploadId", upload_id}}, {}, body}, ctx);
    if (!completed) return std::unexpected(completed.error());
    if (!is_success(completed->status)) return std::unexpected(fail(*completed, ctx));
    auto error = s3xml::parse_error(completed->body);
    if (!error) return {};
    if (is_retryable_s3_error(500, error->code) && attempt < kCompleteAttempts) {
      backoff(attempt);
      continue;
    }
    return std::unexpected(redact(classify_s3_error(500, *error, ctx)));
  }
}

Status S3Store::abort_multipart(std::string_view key, const std::string& upload_id) {
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("abort the upload of " + location_of(full_key));
  auto response = send(Call{"DELETE", object_path(full_key), {{"uploadId", upload_id}}, {}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  if (!is_success(response->status)) return std::unexpected(fail(*response, ctx));
  return {};
}

Result<std::vector<s3xml::OpenUpload>> S3Store::list_open_uploads() {
  auto ctx = context("list the open multipart uploads under " + location_of(prefix_));
  std::vector<s3xml::OpenUpload> uploads;
  std::string key_marker, id_marker;
  while (true) {
    sigv4::HeaderList query{{"uploads", ""}, {"prefix", prefix_}};
    if (!key_marker.empty()) query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) query.emplace_back("upload-id-marker", id_marker);
    auto response = send(Call{"GET", bucket_path(), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(fail(*response, ctx));
    auto page = s3xml::parse_list_multipart_uploads(response->body);
    if (!page) return make_error(page.error().kind, "cannot " + ctx.action + ": " + page.error().message);
    for (auto& upload : page->uploads)
      if (upload.key.starts_with(prefix_))
        uploads.push_back({upload.key.substr(prefix_.size()), upload.upload_id});
    if (!page->truncated) break;
    if (page->next_key_marker == key_marker && page->next_upload_id_marker == id_marker)
      return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the server repeated its markers");
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
  return uploads;
}

Result<std::vector<s3xml::StoredPart>> S3Store::list_parts(std::string_view key,
                                                           const std::string& upload_id) {
  const std::string full_key = prefix_ + std::string(key);
  auto ctx = context("list the parts of the upload of " + location_of(full_key));
  std::vector<s3xml::StoredPart> parts;
  std::string marker;
  while (true) {
    sigv4::HeaderList query{{"uploadId", upload_id}};
    if (!marker.empty()) query.emplace_back("part-number-marker", marker);
    auto response = send(Call{"GET", object_path(full_key), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(fail(*response, ctx));
    auto page = s3xml::parse_list_parts(response->body);
    if (!page) return make_error(page.error().kind, "cannot " + ctx.action + ": " + page.error().message);
    for (auto& part : page->parts) parts.push_back(std::move(part));
    if (!page->truncated) break;
    if (page->next_part_number_marker == marker || page->next_part_number_marker.empty())
      return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the server repeated its part marker");
    marker = page->next_part_number_marker;
  }
  return parts;
}

}  // namespace apex
