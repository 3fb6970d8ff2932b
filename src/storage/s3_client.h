// S3Client: the requests to one bucket that S3Store and its helper units (S3MultipartUpload,
// S3ResumableGet) send: where each goes (path-style to a configured endpoint, else
// virtual-host style on AWS), its SigV4 signature, retries with backoff and jitter, and the
// error a failed answer becomes, with the context a user needs to fix it and no secret.
//
// Keys here are full keys, the prefix included; S3Store adds the prefix (full_key()).
// Threads: every method is const and safe to call from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "storage/curl_transport.h"
#include "storage/http_transport.h"
#include "storage/object_store.h"
#include "storage/s3_error.h"
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

class S3Client {
 public:
  struct Call {
    std::string method;
    std::string path;  // decoded
    sigv4::HeaderList query;
    sigv4::HeaderList headers;
    std::string_view body;
  };
  // A body read from a file rather than from Call::body, with its hex SHA-256 when known
  // (then signed as the payload hash at no cost).
  struct FileBody {
    FileSlice slice;
    std::string sha256_hex;
  };

  // transport: null for a CurlTransport with options.timeouts.
  S3Client(const S3Settings& settings, const S3StoreOptions& options,
           std::unique_ptr<HttpTransport> transport);
  ~S3Client();

  // One attempt; a stream (when given) receives a 2xx answer's head and body.
  HttpResult send_once(const Call& call, const HttpStream* stream, const FileBody* file = nullptr) const;
  // Sends with retries; returns the last answer whatever its status, or a transport error.
  Result<HttpResponse> send(const Call& call, const S3ErrorContext& context,
                            const FileBody* file = nullptr) const;
  // send() that turns any non-2xx answer into its error.
  Result<HttpResponse> send_ok(const Call& call, const S3ErrorContext& context,
                               const FileBody* file = nullptr) const;
  // Sleeps before attempt `attempt + 1`: exponential, capped, with jitter.
  void backoff(int attempt) const;
  int max_attempts() const { return options_.max_attempts; }

  std::string full_key(std::string_view key) const { return prefix_ + std::string(key); }
  const std::string& prefix() const { return prefix_; }
  std::string object_path(std::string_view full_key) const;
  std::string bucket_path() const;
  // "s3://BUCKET/FULL_KEY", for messages.
  std::string location_of(std::string_view full_key) const;
  S3ErrorContext context(std::string action) const;
  // The error of a non-2xx answer, classified, with no secret in it.
  Error fail(const HttpResponse& response, const S3ErrorContext& context) const;
  // Guards against a server echoing a secret back into a message.
  Error redact(Error error) const;
  // Whether the bucket answers a HEAD with anything but 404.
  bool bucket_exists() const;

  std::string describe() const;
  const std::string& endpoint() const { return endpoint_; }
  bool server_delimiter() const { return server_delimiter_; }

 private:
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

// Pieces of S3's wire format the units that speak it share.
namespace s3wire {

std::string base64(std::string_view raw);
std::string decode_base64(std::string_view text);
std::optional<std::uint64_t> parse_u64(std::string_view text);

// The MD5 of a body, hashed once: base64 for the Content-MD5 header (the server recomputes
// it and refuses a body damaged on the way), hex to compare with the ETag answered.
struct BodyMd5 {
  std::string base64;
  std::string hex;
};
BodyMd5 body_md5(std::string_view body);

// Whether the ETag of an answer is the MD5 of the object's bytes: not for multipart uploads
// ("-N" suffix) and not for SSE-KMS or SSE-C encrypted objects, whose ETags are opaque.
bool etag_is_content_md5(const HttpResponse& response, std::string_view etag);

// The headers that store an object as options says (content type, ACL, metadata).
sigv4::HeaderList put_headers(const PutOptions& options);

// The checksums of the whole object a HEAD or GET answer names (see s3_client.cpp).
StoredChecksums stored_checksums(const HttpResponse& head);

}  // namespace s3wire

}  // namespace apex
