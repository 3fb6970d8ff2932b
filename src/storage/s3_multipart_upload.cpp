#include "storage/s3_multipart_upload.h"

#include <algorithm>

namespace apex {

namespace {

// Completing a multipart upload can fail inside a 200 answer; a few tries cover S3's
// documented "InternalError in the body" case.
constexpr int kCompleteAttempts = 3;

}  // namespace

Status fill_from(const ByteSource& source, std::string& buffer, std::size_t want, bool* eof) {
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

S3MultipartUpload::S3MultipartUpload(const S3Client& client, std::string full_key, std::string upload_id,
                                     std::string initiated)
    : client_(&client),
      full_key_(std::move(full_key)),
      upload_id_(std::move(upload_id)),
      initiated_(std::move(initiated)) {}

S3ErrorContext S3MultipartUpload::context(std::string_view what) const {
  return client_->context(std::string(what) + client_->location_of(full_key_));
}

Result<S3MultipartUpload> S3MultipartUpload::start(const S3Client& client, std::string full_key,
                                                   const PutOptions& options) {
  auto ctx = client.context("write " + client.location_of(full_key));
  auto created = client.send_ok(
      S3Client::Call{
          "POST", client.object_path(full_key), {{"uploads", ""}}, s3wire::put_headers(options), {}},
      ctx);
  if (!created) return std::unexpected(created.error());
  auto upload_id = s3xml::parse_upload_id(created->body);
  if (!upload_id)
    return make_error(upload_id.error().kind, "cannot " + ctx.action + ": " + upload_id.error().message);
  return S3MultipartUpload(client, std::move(full_key), std::move(*upload_id));
}

Result<std::string> S3MultipartUpload::upload_part(int part_number, std::string_view body) const {
  auto ctx = context("write ");
  const std::string number = std::to_string(part_number);
  const s3wire::BodyMd5 md5 = s3wire::body_md5(body);
  auto uploaded = client_->send_ok(S3Client::Call{"PUT",
                                                  client_->object_path(full_key_),
                                                  {{"partNumber", number}, {"uploadId", upload_id_}},
                                                  {{"content-md5", md5.base64}},
                                                  body},
                                   ctx);
  if (!uploaded) return std::unexpected(uploaded.error());
  std::string etag = s3xml::unquote_etag(uploaded->header("etag"));
  if (etag.empty())
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": part " + number + " got no ETag");
  if (s3wire::etag_is_content_md5(*uploaded, etag) && etag != md5.hex)
    return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": part " + number +
                                              " arrived damaged (MD5 differs from its ETag)");
  return etag;
}

Status S3MultipartUpload::complete(const std::vector<std::string>& part_etags) const {
  auto ctx = context("write ");
  const std::string body = s3xml::complete_multipart_upload_body(part_etags);
  for (int attempt = 1;; ++attempt) {
    auto completed = client_->send_ok(
        S3Client::Call{"POST", client_->object_path(full_key_), {{"uploadId", upload_id_}}, {}, body}, ctx);
    if (!completed) return std::unexpected(completed.error());
    // S3 may answer 200 and put the failure in the body.
    auto error = s3xml::parse_error(completed->body);
    if (!error) return {};
    if (is_retryable_s3_error(500, error->code) && attempt < kCompleteAttempts) {
      client_->backoff(attempt);
      continue;
    }
    return std::unexpected(client_->redact(classify_s3_error(500, *error, ctx)));
  }
}

Status S3MultipartUpload::abort() const {
  auto aborted = client_->send_ok(
      S3Client::Call{"DELETE", client_->object_path(full_key_), {{"uploadId", upload_id_}}, {}, {}},
      context("abort the upload of "));
  if (!aborted) return std::unexpected(aborted.error());
  return {};
}

Result<std::vector<s3xml::StoredPart>> S3MultipartUpload::list_parts() const {
  auto ctx = context("list the parts of the upload of ");
  std::vector<s3xml::StoredPart> parts;
  std::string marker;
  while (true) {
    sigv4::HeaderList query{{"uploadId", upload_id_}};
    if (!marker.empty()) query.emplace_back("part-number-marker", marker);
    auto response =
        client_->send(S3Client::Call{"GET", client_->object_path(full_key_), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(client_->fail(*response, ctx));
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

Status S3MultipartUpload::upload_all(std::string first, const ByteSource& source,
                                     std::uint64_t part_size) const {
  // Leaves no orphaned parts behind (they would be billed) when anything goes wrong.
  auto abort_with = [&](Error error) -> Status {
    (void)abort();
    return std::unexpected(std::move(error));
  };
  // Parts are cut from the bytes already read, then from the rest of the source.
  std::size_t first_pos = 0;
  ByteSource chained = [&](char* buf, std::size_t capacity) -> Result<std::size_t> {
    if (first_pos < first.size()) {
      std::size_t n = std::min(capacity, first.size() - first_pos);
      std::copy_n(first.data() + first_pos, n, buf);
      first_pos += n;
      return n;
    }
    return source(buf, capacity);
  };
  std::vector<std::string> etags;
  std::string part;
  for (bool eof = false; !eof;) {
    part.clear();
    if (auto ok = fill_from(chained, part, static_cast<std::size_t>(part_size), &eof); !ok)
      return abort_with(ok.error());
    if (part.empty()) break;
    auto etag = upload_part(static_cast<int>(etags.size() + 1), part);
    if (!etag) return abort_with(etag.error());
    etags.push_back(std::move(*etag));
  }
  if (auto done = complete(etags); !done) return abort_with(done.error());
  return {};
}

Result<std::vector<S3MultipartUpload>> list_open_uploads(const S3Client& client) {
  const std::string& prefix = client.prefix();
  auto ctx = client.context("list the open multipart uploads under " + client.location_of(prefix));
  std::vector<S3MultipartUpload> uploads;
  std::string key_marker, id_marker;
  while (true) {
    sigv4::HeaderList query{{"uploads", ""}, {"prefix", prefix}};
    if (!key_marker.empty()) query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) query.emplace_back("upload-id-marker", id_marker);
    auto response = client.send(S3Client::Call{"GET", client.bucket_path(), std::move(query), {}, {}}, ctx);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(client.fail(*response, ctx));
    auto page = s3xml::parse_list_multipart_uploads(response->body);
    if (!page) return make_error(page.error().kind, "cannot " + ctx.action + ": " + page.error().message);
    for (auto& upload : page->uploads)
      if (upload.key.starts_with(prefix))
        uploads.emplace_back(client, std::move(upload.key), std::move(upload.upload_id),
                             std::move(upload.initiated));
    if (!page->truncated) break;
    if (page->next_key_marker == key_marker && page->next_upload_id_marker == id_marker)
      return make_error(ErrorKind::Corrupt, "cannot " + ctx.action + ": the server repeated its markers");
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
  return uploads;
}

}  // namespace apex
