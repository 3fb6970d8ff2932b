// HttpServer: HTTP/1.1 for the open internet, on Boost.Beast and Asio (Debian 12's
// libboost1.81-dev).
//
// - Event-driven: a connection is a socket, a buffer and a parser, never a thread, so idle
//   or trickling clients cost a few KB each and cannot starve anyone. Each I/O thread runs
//   its own io_context; a connection stays on one.
// - Strict framing (RFC 9112): Beast's parser refuses Content-Length with Transfer-Encoding,
//   differing Content-Lengths, a non-numeric length and a space before a field's colon; this
//   server also refuses a Transfer-Encoding other than chunked and obsolete line folding,
//   and accepts the absolute form of a target and empty lines before a request line (RFC
//   9112, 3.2.2 and 2.2). A body is always read (or the connection closed), never parsed as
//   the next request.
// - Limits: request line and header fields together (431), body (413), the time from a
//   request's first byte to its last (408), each write, the idle wait between requests, and
//   open connections, in all and per client address (503).
// - A request that can be answered without waiting (a cached answer) is answered on the I/O
//   thread that read it; any other runs on the handler pool, since a cold load can take
//   seconds. A check that needs only the header (CORS preflight, the API token) runs before
//   the body is read.
// - Responses: gzip for clients that accept it (text and JSON), HEAD without the body, one
//   access log line per request with what the client sent escaped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "server/http/http_message.h"

namespace apex {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: any free port (bind() returns it)
  std::size_t io_threads = 2;
  std::size_t handler_threads = 32;
  std::size_t header_limit_bytes = 16 * 1024;  // request line and header fields
  std::size_t body_limit_bytes = 64 * 1024;
  // Beyond either limit a new connection is answered 503 and closed at once. Per client:
  // per peer address; 0 for none (behind a proxy every connection comes from the proxy).
  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_client = 2'000;
  std::size_t max_requests_per_connection = 1000;
  // The wait for the first byte of the next request on an open connection.
  std::chrono::milliseconds idle_timeout{5'000};
  // From a request's first byte to its last (request line, headers, body).
  std::chrono::milliseconds request_deadline{10'000};
  std::chrono::milliseconds write_timeout{5'000};
  bool access_log = true;
};

struct HttpHandlers {
  // On an I/O thread, once the request line and headers are in and before the body is read:
  // a response to send instead of reading the body (a connection whose body was announced
  // then closes), or nullopt to go on. Must be quick.
  std::function<std::optional<ServerResponse>(const ServerRequest&)> before_body;
  // On the I/O thread, with the whole request: answers it and returns true if it can without
  // waiting (a cached answer), else returns false and `handle` runs on a handler thread.
  std::function<bool(const ServerRequest&, ServerResponse&)> handle_without_waiting;
  // On a handler thread, with the whole request.
  std::function<void(const ServerRequest&, ServerResponse&)> handle;
  // The response for an error the server answers itself (400, 408, 413, 431, 500).
  std::function<ServerResponse(int status, const std::string& detail)> error;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens the listening socket; the bound port.
  Result<int> bind();
  // Serves until stop(): accepts, reads, answers. Requests already received are answered
  // before it returns.
  Status run();
  // From any thread: stops accepting, closes idle connections, lets the others finish.
  void stop();
  bool running() const;

  struct Impl;  // the acceptor, I/O threads and connections (http_server.cpp)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace apex
