#include "storage/s3_resumable_get.h"

#include <algorithm>

#include "storage/s3_xml.h"

namespace apex {

namespace {

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
  auto first = s3wire::parse_u64(text.substr(0, dash));
  auto last = s3wire::parse_u64(text.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  std::string_view total = text.substr(slash + 1);
  if (total != "*") {
    range.total = s3wire::parse_u64(total);
    if (!range.total) return std::nullopt;
  }
  return range;
}

std::string quote_etag(std::string_view etag) {
  if (etag.starts_with('"') || etag.starts_with("W/")) return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

// The ETag when it is the content's MD5 (a single-part upload), else the digest `apex
// upload` stored in the object's metadata (a multipart upload's ETag is no digest of the
// content). Nothing when neither exists.
std::optional<S3ResumableGet::WholeObjectCheck> whole_object_check(const HttpResponse& head,
                                                                   const std::string& etag) {
  if (s3wire::etag_is_content_md5(head, etag))
    return S3ResumableGet::WholeObjectCheck{DigestAlgorithm::Md5, etag, "MD5", "the object's ETag"};
  const StoredChecksums stored = s3wire::stored_checksums(head);
  const auto metadata = [](std::string_view name) {
    return "its x-amz-meta-" + std::string(name) + " from upload";
  };
  if (!stored.xxh128_hex.empty())
    return S3ResumableGet::WholeObjectCheck{DigestAlgorithm::Xxh128, stored.xxh128_hex, "XXH3-128",
                                            metadata(kStoredXxh128Metadata)};
  if (!stored.md5_hex.empty())
    return S3ResumableGet::WholeObjectCheck{DigestAlgorithm::Md5, stored.md5_hex, "MD5",
                                            metadata(kStoredMd5Metadata)};
  return std::nullopt;
}

}  // namespace

S3ResumableGet::S3ResumableGet(const S3Client& client, std::string key, ByteRange range,
                               std::string if_none_match, const ByteSink& sink,
                               std::function<Result<ObjectInfo>()> stat)
    : client_(client),
      key_(std::move(key)),
      full_key_(client.full_key(key_)),
      range_(range),
      if_none_match_(std::move(if_none_match)),
      sink_(sink),
      stat_(std::move(stat)),
      context_(client.context("read " + client.location_of(full_key_))),
      outcome_{true, ObjectInfo{key_, 0, {}}},
      next_(range.offset) {
  if (range.length) end_ = range.offset + *range.length;
}

Result<ConditionalRead> S3ResumableGet::run() {
  if (range_.length && *range_.length == 0) return empty_read();
  HttpStream stream;
  stream.on_head = [this](const HttpResponse& head) { return on_head(head); };
  stream.on_body = [this](std::string_view chunk) { return on_body(chunk); };
  while (true) {
    const std::uint64_t start = next_;
    skip_ = 0;
    HttpResult result = client_.send_once(
        S3Client::Call{"GET", client_.object_path(full_key_), {}, request_headers(), {}}, &stream);
    if (Step step = after_answer(result, start)) return std::move(*step);
  }
}

// From the first byte the sink lacks; once the object is known, only that version of it.
sigv4::HeaderList S3ResumableGet::request_headers() const {
  sigv4::HeaderList headers;
  if (next_ > 0 || range_.length)
    headers.emplace_back("range",
                         "bytes=" + std::to_string(next_) + "-" + (end_ ? std::to_string(*end_ - 1) : ""));
  if (have_head_ && !outcome_.info.version.empty()) {
    headers.emplace_back("if-match", quote_etag(outcome_.info.version));
  } else if (!if_none_match_.empty()) {
    headers.emplace_back("if-none-match", quote_etag(if_none_match_));
  }
  return headers;
}

Status S3ResumableGet::on_head(const HttpResponse& head) {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> object_size;
  std::optional<std::uint64_t> body_end;
  if (head.status == 206) {
    auto content_range = parse_content_range(head.header("content-range"));
    if (!content_range)
      return make_error(ErrorKind::Corrupt, "cannot " + context_.action + ": bad Content-Range '" +
                                                head.header("content-range") + "'");
    first = content_range->first;
    body_end = content_range->last + 1;
    object_size = content_range->total;
  } else {
    object_size = s3wire::parse_u64(head.header("content-length"));
    body_end = object_size;
  }
  if (first > next_)
    return make_error(ErrorKind::Corrupt, "cannot " + context_.action + ": asked for byte " +
                                              std::to_string(next_) + ", the server answered from byte " +
                                              std::to_string(first));
  skip_ = next_ - first;
  std::string etag = s3xml::unquote_etag(head.header("etag"));
  if (!have_head_) {
    have_head_ = true;
    outcome_.info.version = etag;
    if (object_size) outcome_.info.size = *object_size;
    if (body_end) end_ = end_ ? std::min(*end_, *body_end) : *body_end;
    if (range_.offset == 0 && !range_.length && head.status == 200) check_ = whole_object_check(head, etag);
  } else if (!etag.empty() && !outcome_.info.version.empty() && etag != outcome_.info.version) {
    return std::unexpected(changed_while_read());
  }
  return {};
}

Status S3ResumableGet::on_body(std::string_view chunk) {
  std::size_t drop = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, chunk.size()));
  chunk.remove_prefix(drop);
  skip_ -= drop;
  if (end_)
    chunk = chunk.substr(
        0, static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), *end_ - std::min(*end_, next_))));
  if (chunk.empty()) return {};
  if (check_) check_->digest.update(chunk);
  next_ += chunk.size();
  return sink_(chunk);
}

S3ResumableGet::Step S3ResumableGet::after_answer(const HttpResult& result, std::uint64_t start) {
  if (result.handler_error) return Step(std::unexpected(client_.redact(*result.handler_error)));
  if (next_ > start) failures_ = 0;
  if (result.failure) {
    Error error =
        client_.redact(classify_transport_error(result.failure->detail, result.failure->timed_out, context_));
    return result.failure->retryable ? retry_or(std::move(error)) : Step(std::unexpected(std::move(error)));
  }
  const long status = result.response.status;
  if (status == 304 && !have_head_)
    return Step(ConditionalRead{false, ObjectInfo{key_, 0, s3xml::unquote_etag(if_none_match_)}});
  if (status == 412 && have_head_) return Step(std::unexpected(changed_while_read()));
  if (status == 416 && !have_head_) return Step(empty_read());
  if (!is_success(status)) {
    auto body = s3xml::parse_error(result.response.body).value_or(s3xml::ErrorBody{});
    Error error = client_.fail(result.response, context_);
    return is_retryable_s3_error(status, body.code) ? retry_or(std::move(error))
                                                    : Step(std::unexpected(std::move(error)));
  }
  if (end_ && next_ < *end_) {
    // The answer ended cleanly but short: ask again for the rest.
    return retry_or(Error{ErrorKind::Unavailable,
                          "cannot " + context_.action + ": the server kept ending the body early, " +
                              std::to_string(next_ - range_.offset) + " of " +
                              std::to_string(*end_ - range_.offset) + " bytes arrived"});
  }
  return Step(finish());
}

// Another attempt after a backoff, unless max_attempts in a row made no progress.
S3ResumableGet::Step S3ResumableGet::retry_or(Error error) {
  if (++failures_ < client_.max_attempts()) {
    client_.backoff(failures_);
    return std::nullopt;
  }
  return Step(std::unexpected(std::move(error)));
}

Result<ConditionalRead> S3ResumableGet::finish() {
  if (!check_) return outcome_;
  std::string actual = check_->digest.finish_hex();
  // The stored object is whole (its digest was taken of it); these bytes were damaged on the
  // way. Unavailable (try again), never Corrupt, which a session load would record and keep
  // as a missing file; S3Store::read() tries again itself when it held the bytes back.
  if (actual == check_->expected_hex) return outcome_;
  damaged_ = true;
  return make_error(ErrorKind::Unavailable, "cannot " + context_.action + ": the bytes read have " +
                                                check_->algorithm_name + " " + actual + " but " +
                                                check_->source + " is " + check_->expected_hex +
                                                " (damaged in transit); read it again");
}

// Reading nothing, or from exactly the end, is valid on disk; S3 would answer 416.
Result<ConditionalRead> S3ResumableGet::empty_read() {
  auto info = stat_();
  if (!info) return std::unexpected(info.error());
  if (range_.offset > info->size)
    return make_error(ErrorKind::InvalidInput, "range starts at " + std::to_string(range_.offset) +
                                                   " beyond the end of '" + key_ + "' (" +
                                                   std::to_string(info->size) + " bytes)");
  return ConditionalRead{true, *info};
}

Error S3ResumableGet::changed_while_read() const {
  return Error{ErrorKind::Unavailable,
               "cannot " + context_.action + ": the object changed while it was being read; read it again"};
}

}  // namespace apex
