// S3Store: an ObjectStore over the S3 REST API (AWS or any S3-compatible server), signed
// with SigV4 and sent through an HttpTransport (libcurl unless a test gives another). Keys
// are relative to S3Settings::prefix, so "barber/x.csv" is the object "data/barber/x.csv" of
// the bucket, and every method that takes a key refuses one validate_key() refuses.
//
// Addressing: with S3Settings::endpoint_url set, path-style requests to that server
// (http://127.0.0.1:9000/BUCKET/KEY); otherwise virtual-host style against AWS
// (https://BUCKET.s3.REGION.amazonaws.com/KEY; path-style for bucket names with dots, which
// the TLS wildcard certificate cannot cover). Without an access key, requests are sent
// unsigned (anonymous access to a public bucket).
//
// Failures: each request is retried with exponential backoff and jitter on 500/502/503/504,
// throttling codes, timeouts and broken connections, never on other 4xx (S3Client). A GET
// that breaks mid-body resumes from the first byte not yet handed to the sink
// (S3ResumableGet). Errors are classified (NotFound, AuthFailed, BucketMissing,
// Unavailable, ...) with messages that name the variable to check and never a secret.
//
// Threads: safe to use from several threads at once; connections are pooled and reused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "storage/content_digest.h"
#include "storage/http_transport.h"
#include "storage/object_store.h"
#include "storage/s3_client.h"
#include "storage/s3_multipart_upload.h"
#include "storage/s3_resumable_get.h"
#include "storage/s3_xml.h"

namespace apex {

// The checksum a body goes with; the server recomputes it and refuses bytes damaged on the
// way. MD5 travels as Content-MD5; CRC32C as x-amz-checksum-crc32c; SHA-256 as
// x-amz-checksum-sha256 and, for free, as the signed payload hash (x-amz-content-sha256),
// which S3 checks as well. (XXH3-128 has no S3 header: put_file refuses it.)
struct BodyChecksum {
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
  std::string digest;  // raw bytes
};

// An object's HEAD: size, ETag and the user metadata it was stored with.
struct ObjectHead {
  ObjectInfo info;
  std::map<std::string, std::string> metadata;  // without the x-amz-meta- prefix
  std::string content_type;
};

class S3Store final : public ObjectStore {
 public:
  // transport: where requests go; null for a CurlTransport with options.timeouts.
  explicit S3Store(const S3Settings& settings, S3StoreOptions options = {},
                   std::unique_ptr<HttpTransport> transport = nullptr);
  ~S3Store() override;

  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override;
  Result<ObjectInfo> stat(std::string_view key) override;
  // One HEAD, sent with x-amz-checksum-mode: ENABLED: a full-object x-amz-checksum-crc32c
  // (not a multipart upload's composite "...-N"), and x-amz-meta-xxh128 / x-amz-meta-md5
  // as `apex upload` stores them. Servers that keep no checksums (s3rver) answer the
  // metadata only.
  Result<VerifiableObjectInfo> stat_with_checksums(std::string_view key) override;
  // A whole object is checked against its ETag when that is its MD5, else against the digest
  // `apex upload` stored in its metadata. One of up to kVerifiedReadBytes reaches the sink
  // only once its bytes match, and is read again when they arrived damaged; longer ones
  // stream, and damage is reported (Unavailable) after the sink has had the bytes.
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override;
  static constexpr std::size_t kVerifiedReadBytes = 8u << 20;
  // One PUT up to options.multipart_threshold, else a multipart upload of part_size parts.
  Status write(std::string_view key, const ByteSource& source) override;
  // Deletes key; NotFound when it does not exist, as on disk (S3 itself would say nothing).
  Status remove(std::string_view key) override;
  // "s3://BUCKET/PREFIX (region R)" or "s3://BUCKET/PREFIX at ENDPOINT".
  std::string describe() const override;
  unsigned parallel_reads() const override { return options_.parallel_reads; }

  using ConditionalRead = apex::ConditionalRead;
  // Streams the whole object to sink only when its version (ETag) differs from `version`:
  // one conditional GET (If-None-Match), answered 304 when unchanged. An empty version
  // reads unconditionally.
  Result<ConditionalRead> read_if_changed(std::string_view key, std::string_view version,
                                          const ByteSink& sink);

  // The pieces an uploader needs to run transfers itself (parallel parts, metadata, ACL).
  // Every body is sent with a checksum (Content-MD5, or the one given to put_file), so the
  // server rejects bytes damaged in transit; each request is retried like any other.
  // md5_digest: the raw MD5 of body when the caller already has it (else hashed here).
  Status put(std::string_view key, std::string_view body, const PutOptions& options,
             std::string_view md5_digest = {});
  // One PUT whose body is read from disk as it is sent (pread on body.fd), so a large
  // file is never held in memory; `checksum` must be the digest of exactly those bytes.
  Status put_file(std::string_view key, const FileSlice& body, const BodyChecksum& checksum,
                  const PutOptions& options);
  Result<ObjectHead> head(std::string_view key);
  // A new multipart upload of key, stored as options say once completed. An upload must
  // not outlive its store.
  Result<S3MultipartUpload> start_multipart(std::string_view key, const PutOptions& options);
  // The multipart uploads under the prefix that were started and never completed nor
  // aborted (an interrupted run's, kill -9 included): their parts are billed until aborted,
  // so each is resumed or aborted.
  Result<std::vector<S3MultipartUpload>> list_open_uploads();

  // Base URL requests go to ("https://apex-racing-data.s3.us-east-1.amazonaws.com").
  const std::string& endpoint() const { return client_.endpoint(); }

 private:
  // *damaged (when given) is set when the bytes read failed their digest check.
  Result<ConditionalRead> get_object(std::string_view key, ByteRange range, std::string_view if_none_match,
                                     const ByteSink& sink, bool* damaged = nullptr);
  Status put_object(const std::string& full_key, std::string_view body, sigv4::HeaderList headers = {},
                    std::string_view md5_digest = {});

  S3StoreOptions options_;
  S3Client client_;
};

}  // namespace apex
