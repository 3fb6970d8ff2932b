#include "storage/curl_transport.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace apex {

namespace {

// Error bodies are short XML documents; anything longer is not worth keeping whole.
constexpr std::size_t kMaxErrorBodyBytes = 64 * 1024;
// Idle handles kept for reuse; more than the threads that use a store at once is waste.
constexpr std::size_t kMaxIdleHandles = 16;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

struct Transfer {
  CURL* curl = nullptr;
  const HttpStream* stream = nullptr;
  HttpResult result;
  bool head_delivered = false;
  std::string_view upload;
  std::optional<FileSlice> upload_file;
  std::uint64_t upload_pos = 0;
  std::optional<TransportFailure> read_failure;  // reading the body from disk failed
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after "100 Continue" or a redirect) starts a new set of headers.
    transfer->result.response.headers.clear();
    auto space = line.find(' ');
    if (space != std::string_view::npos)
      transfer->result.response.status = std::atol(line.data() + space + 1);
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    transfer->result.response.headers[lower(trim(line.substr(0, colon)))] =
        std::string(trim(line.substr(colon + 1)));
  return size * count;
}

constexpr long kReceiveBufferBytes = 512L * 1024;
constexpr long kUploadBufferBytes = 512L * 1024;

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  HttpResponse& response = transfer->result.response;
  if (transfer->stream && is_success(response.status)) {
    if (!transfer->head_delivered) {
      transfer->head_delivered = true;
      if (transfer->stream->on_head) {
        if (auto ok = transfer->stream->on_head(response); !ok) {
          transfer->result.handler_error = ok.error();
          return 0;  // anything but n aborts the transfer
        }
      }
    }
    if (auto ok = transfer->stream->on_body(std::string_view(data, n)); !ok) {
      transfer->result.handler_error = ok.error();
      return 0;  // anything but n aborts the transfer
    }
    return n;
  }
  if (is_success(response.status) || response.body.size() < kMaxErrorBodyBytes)
    response.body.append(
        data, is_success(response.status) ? n : std::min(n, kMaxErrorBodyBytes - response.body.size()));
  return n;
}

std::uint64_t upload_size(const Transfer& transfer) {
  return transfer.upload_file ? transfer.upload_file->length : transfer.upload.size();
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto n = static_cast<std::size_t>(
      std::min<std::uint64_t>(size * count, upload_size(*transfer) - transfer->upload_pos));
  if (!transfer->upload_file) {
    std::memcpy(buffer, transfer->upload.data() + transfer->upload_pos, n);
    transfer->upload_pos += n;
    return n;
  }
  // Straight from the page cache into libcurl's buffer: the only copy on the client.
  const FileSlice& file = *transfer->upload_file;
  std::size_t have = 0;
  while (have < n) {
    auto got = ::pread(file.fd, buffer + have, n - have,
                       static_cast<off_t>(file.offset + transfer->upload_pos + have));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      // A file that shrank or cannot be read: abort rather than send a short body.
      transfer->read_failure =
          TransportFailure{got == 0 ? std::string("the file became shorter while being sent")
                                    : std::string("cannot read the file being sent: ") + std::strerror(errno),
                           false, false};
      return CURL_READFUNC_ABORT;
    }
    have += static_cast<std::size_t>(got);
  }
  transfer->upload_pos += n;
  return n;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* transfer = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > upload_size(*transfer))
    return CURL_SEEKFUNC_CANTSEEK;
  transfer->upload_pos = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

bool retryable_curl_code(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

}  // namespace

struct CurlTransport::Share {
  CURLSH* handle = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->locks[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Share*>(user)->locks[static_cast<std::size_t>(data)].unlock();
  }
};

CurlTransport::CurlTransport(HttpTimeouts timeouts) : timeouts_(timeouts), share_(std::make_unique<Share>()) {
  global_init();
  share_->handle = curl_share_init();
  curl_share_setopt(share_->handle, CURLSHOPT_LOCKFUNC, &Share::lock);
  curl_share_setopt(share_->handle, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
  curl_share_setopt(share_->handle, CURLSHOPT_USERDATA, share_.get());
  // Connections themselves stay with their easy handle: libcurl does not support sharing a
  // connection cache between threads that run transfers at the same time.
  curl_share_setopt(share_->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_->handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlTransport::~CurlTransport() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
  curl_share_cleanup(share_->handle);
}

void* CurlTransport::acquire_handle() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void CurlTransport::release_handle(void* handle) {
  std::lock_guard lock(pool_mutex_);
  if (idle_handles_.size() < kMaxIdleHandles) {
    idle_handles_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

HttpResult CurlTransport::perform(const HttpRequest& request, const HttpStream* stream) {
  CURL* curl = static_cast<CURL*>(acquire_handle());
  if (!curl) {
    HttpResult result;
    result.failure = TransportFailure{"cannot create a libcurl handle", false, false};
    return result;
  }
  // Reset clears options but keeps the handle's open connections.
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.curl = curl;
  transfer.stream = stream;
  transfer.upload = request.body;
  transfer.upload_file = request.body_file;

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers)
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  // No "Expect: 100-continue" round trip before uploads; S3 answers errors after the body.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_SHARE, share_->handle);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, timeouts_.low_speed_bytes_per_second);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(timeouts_.low_speed_window.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  // libcurl hands the body over in chunks of its receive buffer, 16 KiB by default: on a
  // fast link that is a callback and a recv() per 16 KiB. The curl tool uses 100 KiB; a
  // larger buffer lets one call carry what the socket has.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload_size(transfer)));
    // 64 KiB by default: a read callback and a send() per 64 KiB. Larger reads halve the
    // calls on a multi-hundred-megabyte body; small bodies are unaffected.
    if (upload_size(transfer) > static_cast<std::uint64_t>(kUploadBufferBytes))
      curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    if (request.method == "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);

  if (transfer.read_failure) {
    transfer.result.failure = transfer.read_failure;
  } else if (code != CURLE_OK && !transfer.result.handler_error) {
    std::string detail = curl_easy_strerror(code);
    if (error_buffer[0] != '\0') detail += ": " + std::string(error_buffer);
    transfer.result.failure =
        TransportFailure{detail, code == CURLE_OPERATION_TIMEDOUT, retryable_curl_code(code)};
  } else if (code == CURLE_OK && stream && is_success(transfer.result.response.status) &&
             !transfer.head_delivered && stream->on_head) {
    // An empty 2xx body never reached on_body: the stream still needs the headers.
    if (auto ok = stream->on_head(transfer.result.response); !ok) transfer.result.handler_error = ok.error();
  }
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  // A broken connection must not be offered to the next request.
  if (code == CURLE_OK) {
    release_handle(curl);
  } else {
    curl_easy_cleanup(curl);
  }
  return std::move(transfer.result);
}

}  // namespace apex
