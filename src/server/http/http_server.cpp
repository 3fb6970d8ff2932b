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
#include "server/http/gzip.h"

namespace apex {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Connection;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(HttpServerOptions o, HttpHandlers h)
      : options(std::move(o)),
        handlers(std::move(h)),
        acceptor(net::make_strand(io)),
        handler_pool(options.handler_threads) {}

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void forget(Connection* connection);
  void close_idle_connections();

  HttpServerOptions options;
  HttpHandlers handlers;
  net::io_context io;
  tcp::acceptor acceptor;
  net::thread_pool handler_pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serving{false};

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

// 400 for what Beast's parser refuses, with its reason; the few errors that mean something
// else get their own status.
int status_for_read_error(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  if (ec == beast::error::timeout) return 408;
  return 400;
}

bool connection_gone(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted || ec == net::error::broken_pipe ||
         ec == net::error::not_connected || ec == net::error::bad_descriptor;
}

// RFC 9112, 6.3: a request whose Transfer-Encoding does not end in chunked cannot be framed;
// Beast would read it as bodiless and parse what follows as the next request.
bool unframeable_transfer_encoding(const http::request_parser<http::string_body>& parser) {
  const auto& fields = parser.get();
  auto it = fields.find(http::field::transfer_encoding);
  if (it == fields.end()) return false;
  return !parser.chunked();
}

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), deadline_(stream_.get_executor()), server_(std::move(server)) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // From stop(): a connection waiting for its next request is closed now; one in the middle
  // of a request finishes it and then closes.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

  ~Connection() { server_->forget(this); }

 private:
  const HttpServerOptions& options() const { return server_->options; }

  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    if (server_->stopping) return close();
    idle_ = true;
    stream_.expires_after(options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec || n == 0) return self->close();
                              self->read_header();
                            });
  }

  void read_header() {
    idle_ = false;
    started_ = Clock::now();
    request_ = ServerRequest{};
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit_bytes));
    parser_->body_limit(options().body_limit_bytes);
    start_deadline();
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  // The whole request must arrive by its deadline; when it passes, the pending read is
  // cancelled and the client told 408 (tcp_stream's own timeout would close the socket
  // without a word).
  void start_deadline() {
    stream_.expires_never();
    timed_out_ = false;
    deadline_.expires_at(started_ + options().request_deadline);
    deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail_read(ec);
    const auto& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    parse_target(request_.target, request_.path, request_.params);
    for (const auto& field : message)
      request_.headers.add(std::string(field.name_string()), std::string(field.value()));
    if (unframeable_transfer_encoding(*parser_))
      return reply_error(400, "Transfer-Encoding must end in chunked; the request cannot be framed");
    const bool has_body = !parser_->is_done();
    if (server_->handlers.before_body) {
      if (auto early = server_->handlers.before_body(request_)) return reply(std::move(*early), has_body);
    }
    if (!has_body) return dispatch();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code body_ec, std::size_t) {
                       if (body_ec) return self->fail_read(body_ec);
                       self->request_.body = std::move(self->parser_->get().body());
                       self->dispatch();
                     });
  }

  // A request that could not be read whole: answered with the reason where the client can
  // still hear it, and the connection closed (what follows on it cannot be trusted).
  void fail_read(beast::error_code ec) {
    deadline_.cancel();
    if (timed_out_) ec = beast::error::timeout;
    if (connection_gone(ec)) return close();
    const int status = status_for_read_error(ec);
    std::string detail =
        status == 431 ? "request line and header fields exceed " +
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
    deadline_.cancel();  // the request is in; the handler's time is not the client's
    if (server_->handlers.handle_without_waiting) {
      ServerResponse response;
      if (server_->handlers.handle_without_waiting(request_, response))
        return reply(std::move(response), false);
    }
    net::post(server_->handler_pool, [self = shared_from_this(), work = net::make_work_guard(server_->io)] {
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
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->reply(std::move(response), false);
      });
    });
  }

  void reply(ServerResponse response, bool close_after) {
    deadline_.cancel();
    ++served_;
    const bool keep_alive = !close_after && parser_ && parser_->is_done() && parser_->get().keep_alive() &&
                            served_ < options().max_requests_per_connection && !server_->stopping;
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
    stream_.expires_after(options().write_timeout);
    const bool unread_input = close_after;
    http::async_write(
        stream_, out_,
        [self = shared_from_this(), keep_alive, unread_input](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          if (unread_input) return self->linger();
          if (!keep_alive) return self->close();
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
    if (!response.headers.has("Vary")) out_.set(http::field::vary, "Accept-Encoding");
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
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain(0);
  }

  void drain(std::size_t dropped) {
    if (dropped > kLingerBytes) return close();
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = shared_from_this(), dropped](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->drain(dropped + n);
                            });
  }

  void close() {
    idle_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  net::steady_timer deadline_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerRequest request_;
  http::response<http::string_body> out_;
  std::shared_ptr<HttpServer::Impl> server_;
  Clock::time_point started_ = Clock::now();
  std::size_t served_ = 0;
  bool idle_ = true;
};

void HttpServer::Impl::accept() {
  // `this`, not a shared pointer: the handler lives in io, which this object owns.
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (!ec) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // answers are one write; Nagle would hold them
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(connections_mutex);
      if (connections.size() < options.max_connections) {
        connection = std::make_shared<Connection>(std::move(socket), shared_from_this());
        connections.emplace(connection.get(), connection);
      }
    }
    if (connection) connection->start();
  }
  accept();
}

void HttpServer::Impl::forget(Connection* connection) {
  std::lock_guard lock(connections_mutex);
  connections.erase(connection);
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
  tcp::resolver resolver(impl.io);
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
  for (std::size_t i = 1; i < std::max<std::size_t>(1, impl.options.io_threads); ++i)
    threads.emplace_back([&impl] { impl.io.run(); });
  impl.io.run();
  for (auto& t : threads) t.join();
  impl.serving = false;
  return {};
}

void HttpServer::stop() {
  Impl* impl = impl_.get();  // the posted handler lives in impl->io: a raw pointer cannot outlive it
  if (impl->stopping.exchange(true)) return;
  net::post(impl->acceptor.get_executor(), [impl] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->close_idle_connections();
  });
}

bool HttpServer::running() const {
  return impl_->serving;
}

}  // namespace apex
