// The HttpTransport S3Store uses outside tests: libcurl, one request per perform() call.
//
// Threads: perform() may be called from several threads at once. Easy handles are pooled,
// so a finished request leaves its open connection to the next caller (keep-alive), and a
// share object lets all handles reuse DNS answers and TLS sessions.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/http_transport.h"

namespace apex {

struct HttpTimeouts {
  std::chrono::milliseconds connect{10'000};
  // A transfer slower than low_speed_bytes_per_second for low_speed_window is abandoned
  // (and retried by the store): a stalled connection, not a slow one.
  long low_speed_bytes_per_second = 1024;
  std::chrono::seconds low_speed_window{30};
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(HttpTimeouts timeouts = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  HttpResult perform(const HttpRequest& request, const HttpStream* stream) override;

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
