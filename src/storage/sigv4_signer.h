// AWS Signature Version 4 (header signing), as pure functions of the request, the
// credentials and the time, so every step is checked against AWS's published vectors.
//
// The caller describes the request with its path and query *decoded*; the signer
// percent-encodes them the S3 way (uri_encode_path / uri_encode_component) and the same
// functions build the URL that goes on the wire, so what is signed is what is sent.
//
// Secrets: the secret access key only feeds the HMAC chain. No string returned here
// contains it; the session token appears only as the value of x-amz-security-token,
// which is where AWS requires it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apex::sigv4 {

// The x-amz-content-sha256 value for a body that is not hashed (streamed over TLS).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term keys

  bool anonymous() const { return access_key_id.empty(); }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;      // "GET"
  std::string path = "/";  // decoded, starting with '/': "/bucket/COTA/Race 1/x.csv"
  HeaderList query;        // decoded names and values, any order
  HeaderList headers;      // every header to sign, "host" included; names in any case
  std::string payload_hash = std::string(kEmptyPayloadHash);  // hex SHA-256 or kUnsignedPayload
};

struct Options {
  std::string region = "us-east-1";
  std::string service = "s3";
  // S3 signs the path exactly as sent. Other services first remove "." and ".." segments
  // and repeated slashes; AWS's `*-normalized` vectors test that variant.
  bool normalize_path = false;
  // S3 requires x-amz-content-sha256 on every request; most other services do not.
  bool add_content_sha256_header = true;
  // STS-style signing where the token is sent but not signed (vector post-sts-header-after).
  bool sign_session_token = true;
};

struct SignedRequest {
  // Headers to add to the request, in this order: x-amz-date, x-amz-content-sha256 (when
  // enabled), x-amz-security-token (when a token is set), authorization.
  HeaderList headers;
  // The intermediate steps, for tests and debugging; free of secrets.
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

SignedRequest sign(const Request& request, const Credentials& credentials, const Options& options,
                   std::chrono::system_clock::time_point now);

// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point time);

// RFC 3986 percent-encoding as S3 wants it: A-Z a-z 0-9 - . _ ~ kept, every other byte
// (UTF-8 included) as %XX upper-case; '/' kept only by uri_encode_path.
std::string uri_encode_component(std::string_view text);
std::string uri_encode_path(std::string_view path);

// Removes "." and ".." segments and empty segments, keeping a trailing slash.
std::string normalize_path(std::string_view path);

// Canonical query string: names and values encoded, sorted by name then value.
std::string canonical_query_string(const HeaderList& query);

// Canonical header value: surrounding space trimmed, inner runs of space collapsed.
std::string canonical_header_value(std::string_view value);

}  // namespace apex::sigv4
