#include "server/http/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/text.h"
#include "server/http/access_log.h"
#include "server/http/connection_limits.h"
#include "server/http/gzip.h"

namespace apex {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Connection;

namespace {

// One io_context per I/O thread, each run by its thread alone: a connection's handlers never
// run concurrently, so it needs no strand, and the threads share no scheduler lock.
std::vector<std::unique_ptr<net::io_context>> make_io_contexts(std::size_t count) {
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, count); ++i)
    contexts.push_back(std::make_unique<net::io_context>(1));
  return contexts;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(HttpServerOptions o, HttpHandlers h)
      : options(std::move(o)),
        handlers(std::move(h)),
        contexts(make_io_contexts(options.io_threads)),
        acceptor(*contexts.front()),
        handler_pool(options.handler_threads),
        limits(options.max_connections, options.max_connections_per_client) {
    for (auto& context : contexts) keep_running.push_back(net::make_work_guard(*context));
  }

  net::io_context& next_context() { return *contexts[next_connection++ % contexts.size()]; }
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void serve(tcp::socket socket);
  void accept_waiting_connections();
  void forget(Connection* connection, const std::string& client);
  void close_idle_connections();

  HttpServerOptions options;
  HttpHandlers handlers;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  // Held until stop(): an I/O thread whose context has no connection yet keeps waiting.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::size_t next_connection = 0;  // only the acceptor's thread assigns connections
  tcp::acceptor acceptor;
  net::thread_pool handler_pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serving{false};
  std::atomic<bool> descriptors_exhausted{false};
  net::steady_timer accept_retry{acceptor.get_executor()};

  ConnectionLimits limits;
  std::mutex connections_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
};

namespace {

// What the access log says for a request whose line could not be read.
constexpr const char* kUnparsed = "-";
// How long, and how much, a refused client's remaining input is read and dropped before the
// connection closes (see Connection::linger).
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = 1 << 20;
// Room in a connection's buffer beyond the header limit, for a chunk header line, a trailer
// section or the start of a pipelined request.
constexpr std::size_t kBufferSlackBytes = 16 * 1024;

// 400 for what Beast's parser refuses, with its reason; the few errors that mean something
// else get their own status.
int status_for_read_error(const beast::error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) return 431;
  if (ec == http::error::body_limit) return 413;
  if (ec == beast::error::timeout) return 408;
  return 400;
}

bool connection_gone(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted || ec == net::error::broken_pipe ||
         ec == net::error::not_connected || ec == net::error::bad_descriptor;
}

// What RFC 9112 forbids in a request's framing that Beast's parser lets through, as
// (status, reason); status 0 when the request is sound. A Transfer-Encoding that does not end
// in chunked cannot be framed (Beast would read the request as bodiless and what follows as
// the next one); a coding other than chunked is one this server does not implement (501); an
// HTTP/1.1 request needs exactly one Host (3.2).
std::pair<int, std::string> framing_problem(const http::request_parser<http::string_body>& parser) {
  const auto& fields = parser.get();
  const auto codings = fields.count(http::field::transfer_encoding);
  if (codings > 0 && !parser.chunked())
    return {400, "Transfer-Encoding must end in chunked; the request cannot be framed"};
  if (codings > 1 || (codings == 1 && !iequals(trim(fields[http::field::transfer_encoding]), "chunked")))
    return {501, "only the chunked transfer coding is implemented"};
  if (fields.version() == 11 && fields.count(http::field::host) != 1)
    return {400, "an HTTP/1.1 request needs exactly one Host header field"};
  return {0, {}};
}

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, net::io_context& context, std::string client,
             std::shared_ptr<HttpServer::Impl> server)
      : socket_(std::move(socket)),
        context_(context),
        timer_(context),
        buffer_(server->options.header_limit_bytes + kBufferSlackBytes),
        client_(std::move(client)),
        server_(std::move(server)) {}

  void start() {
    // Reads after a readiness wait must never block the I/O thread.
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
    net::dispatch(context_, [self = shared_from_this()] { self->wait_for_request(); });
  }

  // From stop(): a connection waiting for its next request is closed now; one in the middle
  // of a request finishes it and then closes.
  void close_if_idle() {
    net::post(context_, [self = shared_from_this()] {
      beast::error_code ec;
      const bool request_waiting = self->socket_.available(ec) > 0;
      // Cancelling aborts the wait only if it is still pending: a read that already took the
      // request's bytes completes and is answered.
      if (self->idle_ && !request_waiting) self->socket_.cancel(ec);
    });
  }

  ~Connection() { server_->forget(this, client_); }

 private:
  const HttpServerOptions& options() const { return server_->options; }

  // One timer bounds whatever the connection waits for (the next request, the rest of a
  // request, a write, the linger): when it passes, the pending operation is cancelled and
  // its handler sees timed_out_.
  void arm_timer_at(Clock::time_point at) {
    timed_out_ = false;
    timer_.expires_at(at);
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      // A handler already queued when the timer was re-armed sees the new, later expiry.
      if (ec || !self || self->timer_.expiry() > Clock::now()) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.cancel(ignored);
    });
  }
  void arm_timer(Clock::duration wait) { arm_timer_at(Clock::now() + wait); }
  void disarm_timer() { timer_.expires_at(Clock::time_point::max()); }

  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    // Stopping: a connection that has been answered closes; a new one still reads the request
    // its client may have sent (close_if_idle closes it if nothing has arrived).
    if (server_->stopping && served_ > 0) return close();
    // Waiting holds no buffer, parser or answer: an idle connection is its socket and timer.
    release_request();
    idle_ = true;
    arm_timer(options().idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      self->read_arrived();
    });
  }

  void release_request() {
    request_ = ServerRequest{};
    out_ = http::response<http::string_body>{};
    parser_.reset();
    buffer_.shrink_to_fit();
  }

  void read_arrived() {
    beast::error_code ec;
    const std::size_t n = socket_.read_some(buffer_.prepare(4096), ec);
    buffer_.commit(n);
    if (ec == net::error::would_block) return wait_for_request();  // woken with nothing to read
    if (ec || n == 0) return close();
    read_header();
  }

  void read_header() {
    idle_ = false;
    started_ = Clock::now();
    request_ = ServerRequest{};
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit_bytes));
    parser_->body_limit(options().body_limit_bytes);
    arm_timer_at(started_ + options().request_deadline);
    parse_header();
  }

  // The request line and header fields are parsed once they are all in the buffer. What
  // Beast's parser would accept but this server refuses is checked on the raw bytes first.
  void parse_header() {
    if (!parser_->got_some()) buffer_.consume(leading_empty_lines(buffered()));
    if (has_folded_line(buffered()))
      return reply_error(400, "a header line begins with a space or tab (obsolete line folding is refused)");
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == http::error::need_more || (!ec && !parser_->is_header_done())) return read_more_header();
    if (ec) return fail_read(ec);
    on_header();
  }

  void read_more_header() {
    const std::size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return fail_read(http::error::header_limit);
    socket_.async_read_some(buffer_.prepare(std::min<std::size_t>(room, 4096)),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->fail_read(ec);
                              if (n == 0) return self->close();
                              self->parse_header();
                            });
  }

  std::string_view buffered() const {
    const auto data = buffer_.data();
    return {static_cast<const char*>(data.data()), data.size()};
  }

  void on_header() {
    const auto& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = origin_form(message.target());
    parse_target(request_.target, request_.path, request_.params);
    for (const auto& field : message)
      request_.headers.add(std::string(field.name_string()), std::string(field.value()));
    if (auto [status, reason] = framing_problem(*parser_); status != 0) return reply_error(status, reason);
    // RFC 9112, 6.1: after an HTTP/1.0 message with a transfer coding the connection closes.
    close_after_ = message.version() == 10 && message.count(http::field::transfer_encoding) > 0;
    const bool has_body = !parser_->is_done();
    if (server_->handlers.before_body) {
      if (auto early = server_->handlers.before_body(request_)) return reply(std::move(*early), has_body);
    }
    if (!has_body) return dispatch();
    if (iequals(trim(message[http::field::expect]), "100-continue")) return send_continue();
    read_body();
  }

  // The client waits for a 100 before it sends the body it announced.
  void send_continue() {
    continue_ =
        std::make_shared<http::response<http::empty_body>>(http::status::continue_, parser_->get().version());
    arm_timer(options().write_timeout);
    http::async_write(socket_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->arm_timer_at(self->started_ + self->options().request_deadline);
      self->read_body();
    });
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code body_ec, std::size_t) {
                       if (body_ec) return self->fail_read(body_ec);
                       self->request_.body = std::move(self->parser_->get().body());
                       self->dispatch();
                     });
  }

  // A request that could not be read whole: answered with the reason where the client can
  // still hear it, and the connection closed (what follows on it cannot be trusted).
  void fail_read(beast::error_code ec) {
    if (timed_out_) ec = beast::error::timeout;
    disarm_timer();
    if (connection_gone(ec)) return close();
    const int status = status_for_read_error(ec);
    std::string detail =
        status == 431 ? "request line and header fields (or a chunk header or trailer section) exceed " +
                            std::to_string(options().header_limit_bytes) + " bytes"
        : status == 413 ? "request body larger than " + std::to_string(options().body_limit_bytes) + " bytes"
        : status == 408 ? "the request did not arrive whole within " +
                              std::to_string(options().request_deadline.count()) + " ms"
                        : "malformed request: " + ec.message();
    reply_error(status, detail);
  }

  void reply_error(int status, const std::string& detail) {
    ServerResponse response =
        server_->handlers.error ? server_->handlers.error(status, detail) : ServerResponse{};
    response.status = status;
    reply(std::move(response), true);
  }

  void dispatch() {
    disarm_timer();  // the request is in; the handler's time is not the client's
    if (server_->handlers.handle_without_waiting) {
      ServerResponse response;
      if (server_->handlers.handle_without_waiting(request_, response))
        return reply(std::move(response), false);
    }
    net::post(server_->handler_pool, [self = shared_from_this(), work = net::make_work_guard(context_)] {
      ServerResponse response;
      try {
        self->server_->handlers.handle(self->request_, response);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "apex: error handling %s %s: %s\n",
                     log_escaped(self->request_.method, 16).c_str(),
                     loggable_target(self->request_.path).c_str(), log_escaped(e.what()).c_str());
        response = self->server_->handlers.error ? self->server_->handlers.error(500, "internal error")
                                                 : ServerResponse{};
        response.status = 500;
      }
      net::post(self->context_, [self, response = std::move(response)]() mutable {
        self->reply(std::move(response), false);
      });
    });
  }

  void reply(ServerResponse response, bool close_after) {
    ++served_;
    const bool keep_alive = !close_after && !close_after_ && parser_ && parser_->is_done() &&
                            parser_->get().keep_alive() && served_ < options().max_requests_per_connection &&
                            !server_->stopping;
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    out_ = http::response<http::string_body>{};
    out_.version(version == 10 ? 10 : 11);
    out_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers.fields()) out_.insert(name, value);
    const bool no_body = response.status == 204 || response.status == 304 || response.status < 200;
    if (!no_body) compress_if_accepted(response);
    const std::size_t length = response.body.size();
    if (!no_body) {
      out_.body() = request_.method == "HEAD" ? std::string() : std::move(response.body);
      out_.content_length(length);  // HEAD: the length of the body a GET would get
    }
    out_.keep_alive(keep_alive);
    log(response.status);
    arm_timer(options().write_timeout);
    const bool unread_input = close_after;
    http::async_write(
        socket_, out_,
        [self = shared_from_this(), keep_alive, unread_input](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          // Closing with input unread makes the kernel reset the connection, which
          // can destroy the answer before the client reads it: stop sending, drain,
          // then close.
          if (unread_input || !keep_alive) return self->linger();
          self->wait_for_request();
        });
  }

  void compress_if_accepted(ServerResponse& response) {
    if (response.body.size() < 256 || response.headers.has("Content-Encoding")) return;
    if (!compressible_type(response.headers.value("Content-Type"))) return;
    if (!accepts_gzip(request_.headers.value("Accept-Encoding"))) return;
    auto gzipped = gzip_compress(response.body);
    if (!gzipped) return;
    response.body = std::move(*gzipped);
    out_.set(http::field::content_encoding, "gzip");
    // The gzip bytes are another representation: their own ETag, and Vary says what chose them.
    if (auto etag = out_.find(http::field::etag); etag != out_.end())
      out_.set(http::field::etag, gzip_etag(etag->value()));
    bool varies_by_encoding = false;
    const auto [first, last] = out_.equal_range(http::field::vary);
    for (auto field = first; field != last; ++field)
      varies_by_encoding =
          varies_by_encoding || lower(field->value()).find("accept-encoding") != std::string::npos;
    if (!varies_by_encoding) out_.insert(http::field::vary, "Accept-Encoding");
  }

  void log(int status) const {
    if (!options().access_log) return;
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
    const bool parsed = !request_.method.empty();
    std::fprintf(stderr, "%s %s %d %lldus\n", parsed ? log_escaped(request_.method, 16).c_str() : kUnparsed,
                 parsed ? loggable_target(request_.target).c_str() : kUnparsed, status,
                 static_cast<long long>(micros));
  }

  // After an answer to a request that was not read whole: stop sending, then read and drop
  // what the client is still sending for a moment before closing. Closing at once with
  // unread input makes the kernel reset the connection, and a reset can destroy the answer
  // before the client reads it.
  void linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm_timer(kLingerTime);
    drain(0);
  }

  void drain(std::size_t dropped) {
    if (dropped > kLingerBytes) return close();
    buffer_.consume(buffer_.size());
    socket_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this(), dropped](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->drain(dropped + n);
                            });
  }

  void close() {
    idle_ = false;
    disarm_timer();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  net::io_context& context_;
  net::steady_timer timer_;
  bool timed_out_ = false;
  // Capped: Beast holds a header block, a chunk header line or a trailer section whole in
  // this buffer before parsing it, and only the header and the body have limits of their own.
  beast::flat_buffer buffer_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  bool close_after_ = false;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerRequest request_;
  http::response<http::string_body> out_;
  const std::string client_;  // the peer's address, for the limit per client
  std::shared_ptr<HttpServer::Impl> server_;
  Clock::time_point started_ = Clock::now();
  std::size_t served_ = 0;
  bool idle_ = true;
};

void HttpServer::Impl::accept() {
  // `this`, not a shared pointer: the handler lives in a context this object owns.
  acceptor.async_accept(
      next_context(), [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  // A connection accepted as the stop began is still served: its client may have sent a request.
  if (stopping) {
    if (!ec) serve(std::move(socket));
    return;
  }
  if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory) {
    // Out of file descriptors: accepting again at once would fail again, in a busy loop.
    // Wait a little for connections to end (idle ones close within the idle timeout).
    if (!descriptors_exhausted.exchange(true))
      std::fprintf(stderr, "apex: cannot accept connections: %s; retrying every 100 ms\n",
                   ec.message().c_str());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) accept();
    });
    return;
  }
  if (!ec) descriptors_exhausted = false;
  if (!ec) serve(std::move(socket));
  accept();
}

namespace {

// Over a connection limit: a short 503 (the socket's buffer takes it whole) instead of a
// silent close, so a client knows to come back.
void refuse_busy(tcp::socket& socket, ConnectionLimits::Admission why) {
  const std::string detail = why == ConnectionLimits::Admission::ClientFull
                                 ? "{\"detail\": \"too many open connections from this address; close some\"}"
                                 : "{\"detail\": \"too many open connections; try again shortly\"}";
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(detail.size()) + "\r\n\r\n" + detail;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  net::write(socket, net::buffer(answer), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

void HttpServer::Impl::serve(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);  // answers are one write; Nagle would hold them
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // the client is already gone
  std::string client = peer.address().to_string();
  const auto admission = limits.admit(client);
  if (admission != ConnectionLimits::Admission::Admitted) return refuse_busy(socket, admission);
  auto& context = static_cast<net::io_context&>(socket.get_executor().query(net::execution::context));
  auto connection =
      std::make_shared<Connection>(std::move(socket), context, std::move(client), shared_from_this());
  {
    std::lock_guard lock(connections_mutex);
    connections.emplace(connection.get(), connection);
  }
  connection->start();
}

void HttpServer::Impl::forget(Connection* connection, const std::string& client) {
  limits.release(client);
  std::lock_guard lock(connections_mutex);
  connections.erase(connection);
}

// Connections the kernel completed before the stop wait in the listen backlog: closing the
// acceptor would reset them, requests sent included. Each is taken and answers one request.
void HttpServer::Impl::accept_waiting_connections() {
  beast::error_code ec;
  acceptor.cancel(ec);  // the pending asynchronous accept; this takes over
  acceptor.non_blocking(true, ec);
  while (!ec) {
    tcp::socket socket(next_context());
    acceptor.accept(socket, ec);
    if (!ec) serve(std::move(socket));
  }
}

void HttpServer::Impl::close_idle_connections() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(connections_mutex);
    for (auto& [raw, weak] : connections)
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  for (auto& connection : open) connection->close_if_idle();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandlers handlers)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handlers))) {}

HttpServer::~HttpServer() {
  impl_->handler_pool.join();
}

Result<int> HttpServer::bind() {
  auto& impl = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(*impl.contexts.front());
  auto endpoints = resolver.resolve(impl.options.host, std::to_string(impl.options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  std::string reason = ec ? ec.message() : std::string();
  for (const auto& entry : endpoints) {
    impl.acceptor.open(entry.endpoint().protocol(), ec);
    // SO_REUSEADDR, never SO_REUSEPORT: a restart may bind while old connections linger in
    // TIME_WAIT, but a second server on a busy port fails here instead of sharing it.
    if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl.acceptor.bind(entry.endpoint(), ec);
    if (!ec) impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) return static_cast<int>(impl.acceptor.local_endpoint().port());
    reason = ec.message();
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  }
  return make_error(ErrorKind::Unavailable, "cannot listen on " + impl.options.host + ":" +
                                                std::to_string(impl.options.port) + " (" + reason +
                                                "; port in use, or HOST is not an address of this machine)");
}

Status HttpServer::run() {
  auto& impl = *impl_;
  if (!impl.acceptor.is_open()) {
    auto port = bind();
    if (!port) return std::unexpected(port.error());
  }
  if (impl.stopping) return {};
  impl.accept();
  impl.serving = true;
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl.contexts.size(); ++i)
    threads.emplace_back([context = impl.contexts[i].get()] { context->run(); });
  impl.contexts.front()->run();
  for (auto& t : threads) t.join();
  impl.serving = false;
  return {};
}

void HttpServer::stop() {
  Impl* impl = impl_.get();  // the posted handler lives in impl's contexts: a raw pointer cannot outlive it
  if (impl->stopping.exchange(true)) return;
  net::post(impl->acceptor.get_executor(), [impl] {
    impl->accept_waiting_connections();
    beast::error_code ignored;
    impl->accept_retry.cancel();
    impl->acceptor.close(ignored);
    impl->close_idle_connections();
    // Each I/O thread returns once its last connection has closed.
    for (auto& guard : impl->keep_running) guard.reset();
  });
}

bool HttpServer::running() const {
  return impl_->serving;
}

}  // namespace apex
