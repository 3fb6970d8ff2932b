#include "storage/s3_store.h"

#include <algorithm>

#include "storage/content_digest.h"
#include "storage/listing_rollup.h"
#include "storage/s3_xml.h"

namespace apex {

namespace {

Error corrupt_answer(const S3ErrorContext& context, const std::string& what) {
  return Error{ErrorKind::Corrupt, "cannot " + context.action + ": " + what};
}

// A PUT's answer names the MD5 of what the server stored when its ETag is one.
Status check_stored_md5(const HttpResponse& response, const std::string& sent_md5_hex,
                        const S3ErrorContext& context) {
  std::string etag = s3xml::unquote_etag(response.header("etag"));
  if (s3wire::etag_is_content_md5(response, etag) && etag != sent_md5_hex)
    return std::unexpected(corrupt_answer(
        context, "the server stored bytes with MD5 " + etag + ", not the ones sent (" + sent_md5_hex + ")"));
  return {};
}

}  // namespace

S3Store::S3Store(const S3Settings& settings, S3StoreOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(options), client_(settings, options, std::move(transport)) {}

S3Store::~S3Store() = default;

std::string S3Store::describe() const {
  return client_.describe();
}

Result<Listing> S3Store::list(std::string_view prefix, std::optional<char> delimiter) {
  const std::string& root = client_.prefix();
  const std::string full_prefix = client_.full_key(prefix);
  const bool server_delimiter = delimiter && client_.server_delimiter();
  auto ctx = client_.context("list " + client_.location_of(full_prefix));
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  std::string token;
  do {
    sigv4::HeaderList query{
        {"list-type", "2"}, {"prefix", full_prefix}, {"max-keys", std::to_string(options_.list_page_size)}};
    if (server_delimiter) query.emplace_back("delimiter", std::string(1, *delimiter));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto response = client_.send(S3Client::Call{"GET", client_.bucket_path(), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(client_.fail(*response, ctx));
    auto page = s3xml::parse_list_objects_v2(response->body);
    if (!page) return make_error(page.error().kind, "cannot " + ctx.action + ": " + page.error().message);
    for (auto& object : page->objects) {
      if (!object.key.starts_with(root)) continue;
      objects.push_back(ObjectInfo{object.key.substr(root.size()), object.size, std::move(object.etag)});
    }
    for (auto& common : page->common_prefixes)
      if (common.starts_with(root)) common_prefixes.push_back(common.substr(root.size()));
    if (page->truncated && page->next_continuation_token == token)
      return std::unexpected(corrupt_answer(ctx, "the server repeated a continuation token"));
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
  const std::string full_key = client_.full_key(key);
  auto ctx = client_.context("stat " + client_.location_of(full_key));
  auto response = client_.send(
      S3Client::Call{"HEAD", client_.object_path(full_key), {}, {{"x-amz-checksum-mode", "ENABLED"}}, {}},
      ctx);
  if (!response) return std::unexpected(response.error());
  if (response->status == 404 && !client_.bucket_exists())
    return std::unexpected(
        client_.redact(classify_s3_error(404, s3xml::ErrorBody{"NoSuchBucket", "", ""}, ctx)));
  if (response->status != 200) return std::unexpected(client_.fail(*response, ctx));
  auto size = s3wire::parse_u64(response->header("content-length"));
  if (!size) return std::unexpected(corrupt_answer(ctx, "the answer has no Content-Length"));
  return VerifiableObjectInfo{
      ObjectInfo{std::string(key), *size, s3xml::unquote_etag(response->header("etag"))},
      s3wire::stored_checksums(*response)};
}

Status S3Store::read(std::string_view key, ByteRange range, const ByteSink& sink) {
  if (range.offset != 0 || range.length) {
    auto result = get_object(key, range, {}, sink);
    if (!result) return std::unexpected(result.error());
    return {};
  }
  // Held back until the digest check: a body cut short with a matching Content-Length (or
  // otherwise damaged on the way) is then read again instead of failing the whole load.
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
    client_.backoff(attempt);
  }
}

Result<ConditionalRead> S3Store::read_if_changed(std::string_view key, std::string_view version,
                                                 const ByteSink& sink) {
  return get_object(key, ByteRange{}, version, sink);
}

Result<ConditionalRead> S3Store::get_object(std::string_view key, ByteRange range,
                                            std::string_view if_none_match, const ByteSink& sink,
                                            bool* damaged) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  S3ResumableGet get(client_, std::string(key), range, std::string(if_none_match), sink,
                     [this, key] { return stat(key); });
  auto result = get.run();
  if (damaged) *damaged = get.damaged();
  return result;
}

Status S3Store::write(std::string_view key, const ByteSource& source) {
  if (auto ok = validate_key(key); !ok) return ok;
  const std::string full_key = client_.full_key(key);
  // Read one byte past the threshold to learn which kind of upload this is.
  std::string head;
  bool eof = false;
  if (auto ok = fill_from(source, head, static_cast<std::size_t>(options_.multipart_threshold) + 1, &eof);
      !ok)
    return ok;
  if (head.size() <= options_.multipart_threshold) return put_object(full_key, head);
  auto upload = S3MultipartUpload::start(client_, full_key, PutOptions{});
  if (!upload) return std::unexpected(upload.error());
  return upload->upload_all(std::move(head), source, options_.part_size);
}

Status S3Store::put_object(const std::string& full_key, std::string_view body, sigv4::HeaderList headers,
                           std::string_view md5_digest) {
  auto ctx = client_.context("write " + client_.location_of(full_key));
  const s3wire::BodyMd5 md5 = md5_digest.empty()
                                  ? s3wire::body_md5(body)
                                  : s3wire::BodyMd5{s3wire::base64(md5_digest), to_hex(md5_digest)};
  headers.emplace_back("content-md5", md5.base64);
  auto response = client_.send_ok(
      S3Client::Call{"PUT", client_.object_path(full_key), {}, std::move(headers), body}, ctx);
  if (!response) return std::unexpected(response.error());
  return check_stored_md5(*response, md5.hex, ctx);
}

Status S3Store::remove(std::string_view key) {
  auto info = stat(key);
  if (!info) return std::unexpected(info.error());
  const std::string full_key = client_.full_key(key);
  auto ctx = client_.context("delete " + client_.location_of(full_key));
  auto response = client_.send_ok(S3Client::Call{"DELETE", client_.object_path(full_key), {}, {}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  return {};
}

Status S3Store::put(std::string_view key, std::string_view body, const PutOptions& options,
                    std::string_view md5_digest) {
  if (auto ok = validate_key(key); !ok) return ok;
  return put_object(client_.full_key(key), body, s3wire::put_headers(options), md5_digest);
}

Status S3Store::put_file(std::string_view key, const FileSlice& body, const BodyChecksum& checksum,
                         const PutOptions& options) {
  if (auto ok = validate_key(key); !ok) return ok;
  const std::string full_key = client_.full_key(key);
  auto ctx = client_.context("write " + client_.location_of(full_key));
  sigv4::HeaderList headers = s3wire::put_headers(options);
  S3Client::FileBody file{body, {}};
  switch (checksum.algorithm) {
    // x-amz-sdk-checksum-algorithm names the checksum sent, as AWS's SDKs do; S3 keeps the
    // checksum either way, some S3-compatible stores (moto) only with it.
    case DigestAlgorithm::Sha256:  // also the payload hash SigV4 signs
      headers.emplace_back("x-amz-checksum-sha256", s3wire::base64(checksum.digest));
      headers.emplace_back("x-amz-sdk-checksum-algorithm", "SHA256");
      file.sha256_hex = to_hex(checksum.digest);
      break;
    case DigestAlgorithm::Crc32c:
      headers.emplace_back("x-amz-checksum-crc32c", s3wire::base64(checksum.digest));
      headers.emplace_back("x-amz-sdk-checksum-algorithm", "CRC32C");
      break;
    case DigestAlgorithm::Md5:
      headers.emplace_back("content-md5", s3wire::base64(checksum.digest));
      break;
    case DigestAlgorithm::Xxh128:
      return make_error(ErrorKind::InvalidInput,
                        "cannot " + ctx.action + ": S3 has no checksum header for XXH3-128");
  }
  auto response = client_.send_ok(
      S3Client::Call{"PUT", client_.object_path(full_key), {}, std::move(headers), {}}, ctx, &file);
  if (!response) return std::unexpected(response.error());
  if (checksum.algorithm == DigestAlgorithm::Md5)
    return check_stored_md5(*response, to_hex(checksum.digest), ctx);
  return {};
}

Result<ObjectHead> S3Store::head(std::string_view key) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  const std::string full_key = client_.full_key(key);
  auto ctx = client_.context("stat " + client_.location_of(full_key));
  auto response = client_.send(S3Client::Call{"HEAD", client_.object_path(full_key), {}, {}, {}}, ctx);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(client_.fail(*response, ctx));
  auto size = s3wire::parse_u64(response->header("content-length"));
  if (!size) return std::unexpected(corrupt_answer(ctx, "the answer has no Content-Length"));
  ObjectHead head{ObjectInfo{std::string(key), *size, s3xml::unquote_etag(response->header("etag"))},
                  {},
                  response->header("content-type")};
  constexpr std::string_view kMeta = "x-amz-meta-";
  for (const auto& [name, value] : response->headers)
    if (name.starts_with(kMeta)) head.metadata[name.substr(kMeta.size())] = value;
  return head;
}

Result<S3MultipartUpload> S3Store::start_multipart(std::string_view key, const PutOptions& options) {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  return S3MultipartUpload::start(client_, client_.full_key(key), options);
}

Result<std::vector<S3MultipartUpload>> S3Store::list_open_uploads() {
  return apex::list_open_uploads(client_);
}

}  // namespace apex
