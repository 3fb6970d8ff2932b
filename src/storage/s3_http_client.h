// One HTTP request at a time per call, over libcurl, for S3Store. Knows nothing about S3:
// it sends the headers it is given (already signed) and hands back status, headers and
// either a streamed or a buffered body. Retrying is the caller's job.
//
// Threads: perform() may be called from several threads at once. Easy handles are pooled,
// so a finished request leaves its open connection to the next caller (keep-alive), and a
// share object lets all handles reuse DNS answers and TLS sessions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

struct HttpTimeouts {
  std::chrono::milliseconds connect{10'000};
  // A transfer slower than low_speed_bytes_per_second for low_speed_window is abandoned
  // (and retried by the store): a stalled connection, not a slow one.
  long low_speed_bytes_per_second = 1024;
  std::chrono::seconds low_speed_window{30};
};

class S3HttpClient {
 public:
  explicit S3HttpClient(HttpTimeouts timeouts = {});
  ~S3HttpClient();
  S3HttpClient(const S3HttpClient&) = delete;
  S3HttpClient& operator=(const S3HttpClient&) = delete;

  // stream may be null: the body is then buffered in response.body.
  HttpResult perform(const HttpRequest& request, const HttpStream* stream);

 private:
  void* acquire_handle();
  void release_handle(void* handle);

  HttpTimeouts timeouts_;
  struct Share;
  std::unique_ptr<Share> share_;
  std::mutex pool_mutex_;
  std::vector<void*> idle_handles_;
};

}  // namespace apex
