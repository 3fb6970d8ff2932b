// DeadlineHttpServer: cpp-httplib's Server with a deadline on receiving each request.
//
// httplib 0.11.4 times out each read (read_timeout) but not a whole request, and does not
// cap the number of header lines, so a client that trickles one byte every few seconds
// holds a worker thread for as long as it likes; 64 such clients hold them all. This
// server runs each connection itself (the one virtual hook httplib offers,
// process_and_close_socket) over its own socket stream whose reads fail once the request
// has taken longer than `request_deadline` to arrive; httplib then answers 400 and the
// connection is closed. Everything else (parsing, routing, writing answers) is httplib's.
//
// The deadline runs from the first byte of a request to its last (request line, headers
// and body); the handler's own time and writing the answer are not counted (writes keep
// httplib's per-write timeout). Thread-safe like httplib::Server.
#pragma once

#include <httplib.h>

#include <chrono>

namespace apex {

class DeadlineHttpServer : public httplib::Server {
 public:
  explicit DeadlineHttpServer(std::chrono::milliseconds request_deadline);

 private:
  bool process_and_close_socket(socket_t sock) override;

  const std::chrono::milliseconds request_deadline_;
};

}  // namespace apex
