// The HTTP exchange S3Store's requests go through: one request out, its answer's status,
// headers and body back, the body streamed or buffered. Knows nothing about S3: the request
// arrives signed, and retrying is the caller's job. CurlTransport (curl_transport.h) is the
// real one; tests put a scripted one in its place to play any answer without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "storage/sigv4_signer.h"

namespace apex {

// A byte range of an open file, sent as a request body straight from disk: a large upload
// is then neither held in memory nor copied once more on its way to the socket.
struct FileSlice {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // fully encoded
  sigv4::HeaderList headers;
  std::string_view body;  // sent with PUT and POST; must outlive perform()
  // When set, the body is read from this file instead (pread, so several requests may
  // share one descriptor); a retry reads it again from its start.
  std::optional<FileSlice> body_file;
};

inline bool is_success(long status) {
  return status >= 200 && status < 300;
}

struct HttpResponse {
  long status = 0;                             // 0: no response arrived
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;  // buffered body: always for non-2xx answers, for 2xx without a stream

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// For streamed 2xx answers: on_head once the headers are in, then on_body per chunk as it
// arrives. An error from either stops the transfer and is reported as handler_error.
struct HttpStream {
  std::function<Status(const HttpResponse& head)> on_head;
  std::function<Status(std::string_view chunk)> on_body;
};

struct TransportFailure {
  std::string detail;  // libcurl's description
  bool timed_out = false;
  bool retryable = true;  // false for TLS certificate and malformed-URL problems
};

struct HttpResult {
  HttpResponse response;
  std::optional<TransportFailure> failure;  // the exchange failed or broke mid-way
  std::optional<Error> handler_error;       // the stream refused the bytes
};

// Contract: perform() may be called from several threads at once and never throws. For a
// 2xx answer with a stream, on_head runs once (also for an empty body), then on_body per
// chunk; other answers are buffered in response.body (error bodies may be cut short).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // stream may be null: the body is then buffered in response.body.
  virtual HttpResult perform(const HttpRequest& request, const HttpStream* stream) = 0;
};

}  // namespace apex
