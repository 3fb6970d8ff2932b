// S3Store: an ObjectStore over the S3 REST API (AWS or any S3-compatible server), signed
// with SigV4 and sent with libcurl. Keys are relative to S3Settings::prefix, so
// "barber/x.csv" is the object "data/barber/x.csv" of the bucket.
//
// Addressing: with S3Settings::endpoint_url set, path-style requests to that server
// (http://127.0.0.1:9000/BUCKET/KEY); otherwise virtual-host style against AWS
// (https://BUCKET.s3.REGION.amazonaws.com/KEY; path-style for bucket names with dots, which
// the TLS wildcard certificate cannot cover). Without an access key, requests are sent
// unsigned (anonymous access to a public bucket).
//
// Failures: each request is retried with exponential backoff and jitter on 500/502/503/504,
// throttling codes, timeouts and broken connections, never on other 4xx. A GET that breaks
// mid-body resumes with a Range request from the first byte not yet handed to the sink, so
// the sink sees every byte exactly once; the length, and the MD5 when the ETag is one, are
// checked at the end. Errors are classified (NotFound, AuthFailed, BucketMissing,
// Unavailable, ...) with messages that name the variable to check and never a secret.
//
// Threads: safe to use from several threads at once; connections are pooled and reused.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "storage/content_digest.h"
#include "storage/curl_transport.h"
#include "storage/http_transport.h"
#include "storage/object_store.h"
#include "storage/s3_error.h"
#include "storage/s3_xml.h"
#include "storage/sigv4_signer.h"

namespace apex {

inline constexpr std::uint64_t kMebibyte = 1024 * 1024;

struct S3StoreOptions {
  // Objects up to this size go up in one PUT, larger ones as a multipart upload.
  std::uint64_t multipart_threshold = 16 * kMebibyte;
  // Size of every part but the last; S3 rejects parts under 5 MiB (except the last).
  std::uint64_t part_size = 8 * kMebibyte;
  // max-keys of each ListObjectsV2 page; S3 answers at most 1000.
  int list_page_size = 1000;
  // Attempts per request, the first included. A resumed GET counts only attempts that
  // made no progress, so a long download survives any number of spread-out breaks.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  HttpTimeouts timeouts;
  // Where list() applies a delimiter. Auto: the server on AWS, client-side rollup of a full
  // listing on S3-compatible servers, some of which (s3rver) drop "folders" that hold no
  // object directly.
  enum class DelimiterMode { Auto, Server, Client };
  DelimiterMode delimiter_mode = DelimiterMode::Auto;
  // false: x-amz-content-sha256 is UNSIGNED-PAYLOAD (saves hashing uploads over TLS).
  bool sign_payload = true;
  // Ranged GETs at once when a large object is read in ranges (parallel_read.h): one GET is
  // one connection; a few at once fill the link, and each reader parses what it receives.
  unsigned parallel_reads = 4;
};

// How an object is stored by put() and start_multipart(): headers S3 keeps with it.
struct PutOptions {
  std::string content_type;  // empty: the server's default (binary/octet-stream)
  std::string acl;           // canned ACL ("public-read"); empty sends none
  // User metadata, sent as x-amz-meta-NAME; names lower-case ASCII.
  std::vector<std::pair<std::string, std::string>> metadata;
};

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
  Status write(std::string_view key, const ByteSource& source) override;
  // Deletes key; NotFound when it does not exist, as on disk (S3 itself would say nothing).
  Status remove(std::string_view key) override;
  // "s3://BUCKET/PREFIX (region R)" or "s3://BUCKET/PREFIX at ENDPOINT".
  std::string describe() const override;
  unsigned parallel_reads() const override { return options_.parallel_reads; }

  struct ConditionalRead {
    bool changed = false;  // false: the object still has `version`, nothing was read
    ObjectInfo info;       // when changed: the object as read (size, version)
  };
  // Streams the whole object to sink only when its version (ETag) differs from `version`:
  // one conditional GET (If-None-Match), answered 304 when unchanged. An empty version
  // reads unconditionally.
  Result<ConditionalRead> read_if_changed(std::string_view key, std::string_view version,
                                          const ByteSink& sink);

  // The pieces an uploader needs to run transfers itself (parallel parts, metadata, ACL).
  // Every body is sent with a checksum (Content-MD5, or x-amz-checksum-sha256 for
  // put_file), so the server rejects bytes damaged in transit;
  // each request is retried like any other. Keys are relative to the prefix.
  // md5_digest: the raw MD5 of body when the caller already has it (else hashed here).
  Status put(std::string_view key, std::string_view body, const PutOptions& options,
             std::string_view md5_digest = {});
  // One PUT whose body is read from disk as it is sent (pread on body.fd), so a large
  // file is never held in memory; `checksum` must be the digest of exactly those bytes.
  Status put_file(std::string_view key, const FileSlice& body, const BodyChecksum& checksum,
                  const PutOptions& options);
  Result<ObjectHead> head(std::string_view key);
  // Returns the upload id.
  Result<std::string> start_multipart(std::string_view key, const PutOptions& options);
  // Returns the part's ETag (unquoted). part_number counts from 1.
  Result<std::string> upload_part(std::string_view key, const std::string& upload_id, int part_number,
                                  std::string_view body);
  Status complete_multipart(std::string_view key, const std::string& upload_id,
                            const std::vector<std::string>& part_etags);
  // Discards the parts sent so far; best effort.
  Status abort_multipart(std::string_view key, const std::string& upload_id);
  // The multipart uploads under the prefix that were started and never completed nor
  // aborted (an interrupted run's, kill -9 included): their parts are billed until aborted.
  Result<std::vector<s3xml::OpenUpload>> list_open_uploads();  // keys relative to the prefix
  Result<std::vector<s3xml::StoredPart>> list_parts(std::string_view key, const std::string& upload_id);

  // Base URL requests go to ("https://apex-racing-data.s3.us-east-1.amazonaws.com").
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Call {
    std::string method;
    std::string path;  // decoded
    sigv4::HeaderList query;
    sigv4::HeaderList headers;
    std::string_view body;
  };

  // A body read from a file rather than from call.body, with its hex SHA-256 when known
  // (then signed as the payload hash at no cost).
  struct FileBody {
    FileSlice slice;
    std::string sha256_hex;
  };
  HttpResult send_once(const Call& call, const HttpStream* stream, const FileBody* file = nullptr) const;
  // Sends with retries; returns the last answer whatever its status, or a transport error.
  Result<HttpResponse> send(const Call& call, const S3ErrorContext& context,
                            const FileBody* file = nullptr) const;
  // *damaged (when given) is set when the bytes read failed the MD5 check.
  Result<ConditionalRead> get_object(std::string_view key, ByteRange range, std::string_view if_none_match,
                                     const ByteSink& sink, bool* damaged = nullptr);
  Status put_object(const std::string& full_key, std::string_view body, const S3ErrorContext& context,
                    sigv4::HeaderList headers = {}, std::string_view md5_digest = {});
  Status multipart_upload(const std::string& full_key, std::string head, const ByteSource& source,
                          const S3ErrorContext& context);
  bool bucket_exists() const;

  std::string object_path(std::string_view full_key) const;
  std::string bucket_path() const;
  std::string location_of(std::string_view full_key) const;
  S3ErrorContext context(std::string action) const;
  Error fail(const HttpResponse& response, const S3ErrorContext& context) const;
  Error redact(Error error) const;
  void backoff(int attempt) const;

  std::string bucket_;
  std::string region_;
  std::string prefix_;
  std::string endpoint_url_;  // as configured, for describe()
  sigv4::Credentials credentials_;
  S3StoreOptions options_;
  bool server_delimiter_ = true;
  std::string endpoint_;   // scheme://authority
  std::string host_;       // authority, the signed Host header
  std::string base_path_;  // path part of a configured endpoint, "" usually
  bool path_style_ = false;
  std::unique_ptr<HttpTransport> http_;
};

}  // namespace apex
