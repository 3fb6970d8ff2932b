// ApiServer run inside the test process (not as `apex serve`), so that a test can set
// the server's limits small and ThreadSanitizer (`make tsan-tests`) sees the server's
// threads, the session cache and the telemetry cache together:
// - a client that trickles its request a byte at a time is cut off by the whole-request
//   deadline while other clients are served;
// - many concurrent requests for one cold session, and for one cold telemetry file, make
//   one load each and all get the same answer.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "captured_process.h"
#include "server/api_server.h"
#include "server/session_cache.h"
#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class InProcessServer : public ::testing::Test {
 protected:
  void start(ServerOptions options) {
    options.port = 0;
    options.access_log = false;
    options.track_facts_path = test::source_dir() / "reference" / "track_facts.json";
    server_ = std::make_unique<ApiServer>(cache_, std::move(options));
    auto port = server_->bind();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    serving_ = std::thread([this] { (void)server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->running(); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(server_->running());
  }
  void TearDown() override {
    if (server_ && server_->running()) server_->stop();
    if (serving_.joinable()) serving_.join();
  }
  json health() {
    return json::parse(test::body_of(test::raw_request(port_, "GET", "/health")), nullptr, false);
  }

  LocalStore store_{test::source_dir() / "data"};
  SessionCache cache_{store_, 256u << 20};
  std::unique_ptr<ApiServer> server_;
  std::thread serving_;
  int port_ = 0;
};

TEST_F(InProcessServer, TricklingClientIsCutOffByTheRequestDeadlineWhileOthersAreServed) {
  // Each byte arrives long before any idle timeout, so only the whole-request deadline can
  // stop this client; without it the request would take 30 s to arrive.
  ServerOptions options;
  options.request_deadline = 1s;
  start(options);
  // The request line arrives whole, then the headers one byte at a time.
  const std::string headers = "Host: 127.0.0.1\r\nX-Trickle: " + std::string(250, 'a') + "\r\n\r\n";
  int trickler = test::connect_loopback(port_);
  ASSERT_GE(trickler, 0);
  ASSERT_TRUE(test::send_all(trickler, "GET /health HTTP/1.1\r\n"));
  std::size_t sent = 0;
  bool cut_off = false;
  int others_served = 0;
  for (; sent < headers.size(); ++sent) {
    pollfd answered{trickler, POLLIN, 0};
    if (::poll(&answered, 1, 0) > 0) {  // the server answered (or closed) before the request was complete
      cut_off = true;
      break;
    }
    if (!test::send_all(trickler, std::string_view(headers).substr(sent, 1))) {
      cut_off = true;
      break;
    }
    if (sent % 4 == 0 && test::status_of(test::raw_request(port_, "GET", "/health")) == 200) ++others_served;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(cut_off) << "the whole request was accepted a byte at a time";
  EXPECT_LT(sent, headers.size());
  bool closed = false;
  const std::string answer = test::read_until_closed(trickler, 10s, &closed);
  ::close(trickler);
  EXPECT_EQ(test::status_of(answer), 408) << answer;
  EXPECT_TRUE(closed) << "the connection stayed open after the deadline";
  EXPECT_GT(others_served, 0);
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/health")), 200);
}

// Requests whose header completes right at the deadline, in two reads (longer than one read's
// buffer), then a body that never comes: however the read's completion and the deadline fall,
// every connection is answered 408 or closed; none waits for its body without a bound.
TEST_F(InProcessServer, AHeaderCompletedAtTheDeadlineCannotOutliveIt) {
  ServerOptions options;
  options.request_deadline = 300ms;
  start(options);
  const std::string rest =
      "OST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Pad: " + std::string(7000, 'a') + "\r\n\r\n";
  constexpr int kClients = 40;
  std::vector<int> clients;
  std::vector<std::chrono::steady_clock::time_point> opened;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(test::connect_loopback(port_));
    ASSERT_GE(clients.back(), 0);
    ASSERT_TRUE(test::send_all(clients.back(), "P"));
    opened.push_back(std::chrono::steady_clock::now());
  }
  // The rest of each header lands from 10 ms before its deadline to 10 ms after it.
  for (int i = 0; i < kClients; ++i) {
    const auto offset = std::chrono::microseconds((i * 20'000) / kClients - 10'000);
    std::this_thread::sleep_until(opened[static_cast<std::size_t>(i)] + options.request_deadline + offset);
    test::send_all(clients[static_cast<std::size_t>(i)], rest);
  }
  int open_after = 0;
  for (int fd : clients) {
    bool closed = false;
    const std::string answer = test::read_until_closed(fd, 10s, &closed);
    open_after += closed ? 0 : 1;
    if (!answer.empty()) {
      EXPECT_EQ(test::status_of(answer), 408) << answer.substr(0, 200);
    }
    ::close(fd);
  }
  EXPECT_EQ(open_after, 0) << "connections still open 10 s after their deadline";
}

// With SO_REUSEPORT a second server could share the port and take some of its connections;
// `apex serve` must refuse to start instead.
TEST_F(InProcessServer, ASecondServerOnABusyPortFailsToBind) {
  start(ServerOptions{});
  ServerOptions same_port;
  same_port.port = port_;
  same_port.access_log = false;
  same_port.track_facts_path = test::source_dir() / "reference" / "track_facts.json";
  ApiServer second(cache_, same_port);
  auto bound = second.bind();
  ASSERT_FALSE(bound) << "a second server bound port " << port_;
  EXPECT_NE(bound.error().message.find("port in use"), std::string::npos) << bound.error().message;
  EXPECT_EQ(health().value("status", ""), "healthy");  // the first one still answers
}

TEST_F(InProcessServer, ConcurrentColdRequestsMakeOneLoadAndTheSameAnswer) {
  start(ServerOptions{});
  const std::vector<std::string> targets = {
      "/api/analytics/track/sonoma-raceway/session/R1/laps",
      // A telemetry route: the session, then the race's telemetry file, both cold.
      "/api/telemetry/track/sonoma-raceway/session/R1/driver/GR86-031-45/laps",
  };
  for (const auto& target : targets) {
    constexpr int kClients = 12;
    std::vector<std::string> answers(kClients);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
      clients.emplace_back([&, i] { answers[i] = test::raw_request(port_, "GET", target); });
    for (auto& c : clients) c.join();
    for (const auto& answer : answers) {
      ASSERT_EQ(test::status_of(answer), 200) << target << "\n" << answer.substr(0, 500);
      EXPECT_EQ(test::body_of(answer), test::body_of(answers.front())) << target;
    }
  }
  const json h = health();
  ASSERT_TRUE(h.is_object());
  EXPECT_EQ(h["cache"]["loads"], 1) << h.dump();
  EXPECT_EQ(h["cache"]["telemetry"]["loads"], 1) << h.dump();
}

}  // namespace
}  // namespace apex
