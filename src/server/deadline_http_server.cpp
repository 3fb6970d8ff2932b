#include "server/deadline_http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace apex {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often an idle keep-alive connection looks whether the server is stopping, so a
// graceful stop does not wait out every idle client's keep-alive timeout.
constexpr milliseconds kStopCheckInterval{100};

milliseconds from_timeval_parts(time_t seconds, time_t micros) {
  return milliseconds(seconds * 1000 + micros / 1000);
}

// Waits up to `timeout` for `events` on the socket; false on timeout or error.
bool wait_for(int sock, short events, milliseconds timeout) {
  pollfd pfd{sock, events, 0};
  const auto until = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    int ready = ::poll(&pfd, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

void address_of(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host.data(), host.size(), service.data(),
                    service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(service.data());
  }
}

// httplib's SocketStream, plus the request deadline. Reads are buffered because httplib
// reads the request line and headers one byte at a time.
class DeadlineSocketStream final : public httplib::Stream {
 public:
  DeadlineSocketStream(int sock, milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  // A new request starts arriving now: it must be read whole within `deadline`.
  void start_request(milliseconds deadline) {
    deadline_ = Clock::now() + deadline;
    timed_out_ = false;
  }
  // A read of this request gave up waiting (per-read timeout or deadline): httplib has
  // answered 400, and the rest of what this client sends is of no use.
  bool timed_out() const { return timed_out_; }
  bool has_buffered() const { return offset_ < size_; }

  bool is_readable() const override { return has_buffered() || wait_for(sock_, POLLIN, read_budget()); }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (has_buffered()) {
      size_t n = std::min(size, size_ - offset_);
      std::memcpy(ptr, buffer_.data() + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    // Past the deadline nothing more is read, even bytes already waiting: otherwise a client
    // that sends just often enough would be read on for ever.
    if (Clock::now() >= deadline_ || !wait_for(sock_, POLLIN, read_budget())) {
      timed_out_ = true;
      return -1;
    }
    if (size >= buffer_.size()) return receive(ptr, size);
    ssize_t n = receive(buffer_.data(), buffer_.size());
    if (n <= 0) return n;
    size_t given = std::min(size, static_cast<size_t>(n));
    std::memcpy(ptr, buffer_.data(), given);
    offset_ = given;
    size_ = static_cast<size_t>(n);
    return static_cast<ssize_t>(given);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      // MSG_NOSIGNAL: a client that went away is an error return, not a SIGPIPE.
      ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // The per-read timeout, shortened to what is left before the request's deadline.
  milliseconds read_budget() const {
    auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
    return std::clamp(left, milliseconds(0), read_timeout_);
  }
  ssize_t receive(char* ptr, size_t size) {
    offset_ = size_ = 0;
    for (;;) {
      ssize_t n = ::recv(sock_, ptr, size, 0);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  int sock_;
  milliseconds read_timeout_;
  milliseconds write_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  std::array<char, CPPHTTPLIB_RECV_BUFSIZ> buffer_{};
  size_t offset_ = 0;
  size_t size_ = 0;
};

}  // namespace

DeadlineHttpServer::DeadlineHttpServer(std::chrono::milliseconds request_deadline)
    : request_deadline_(request_deadline) {}

// The keep-alive loop of httplib 0.11.4's own process_and_close_socket, over
// DeadlineSocketStream.
bool DeadlineHttpServer::process_and_close_socket(socket_t sock) {
  DeadlineSocketStream stream(sock, from_timeval_parts(read_timeout_sec_, read_timeout_usec_),
                              from_timeval_parts(write_timeout_sec_, write_timeout_usec_));
  const milliseconds keep_alive = std::chrono::seconds(keep_alive_timeout_sec_);
  bool ok = false;
  for (size_t count = keep_alive_max_count_; count > 0 && svr_sock_ != INVALID_SOCKET; --count) {
    // Wait for the next request (or the first), looking regularly whether the server stops.
    bool arrived = stream.has_buffered();
    for (auto idle_until = Clock::now() + keep_alive; !arrived && svr_sock_ != INVALID_SOCKET;) {
      auto left = std::chrono::duration_cast<milliseconds>(idle_until - Clock::now());
      if (left <= milliseconds(0)) break;
      arrived = wait_for(sock, POLLIN, std::min(left, kStopCheckInterval));
    }
    if (!arrived) break;
    stream.start_request(request_deadline_);
    // Connection: close on the last answer of this connection, and on every answer once
    // the server is stopping.
    const bool close_connection = count == 1 || svr_sock_ == INVALID_SOCKET;
    bool connection_closed = false;
    ok = process_request(stream, close_connection, connection_closed, nullptr);
    // After a timed-out read the connection is closed at once rather than after another
    // keep-alive wait: its client is stalled or trickling. Any other answer, a 400 for a
    // refused path included, keeps the connection as the answer announced (no
    // `Connection: close`), so a keep-alive client's next request on it is served.
    if (!ok || connection_closed || stream.timed_out()) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace apex
