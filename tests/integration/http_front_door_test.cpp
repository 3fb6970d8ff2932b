// `apex serve`'s HTTP front door against what a hostile client sends over raw sockets:
// request smuggling (a request hidden in another's body or framing is never answered), a
// header flood (refused with 431 before it costs memory), two hundred slow clients beside a
// normal one, and what the access log may contain (no control byte from the request, no
// token).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "captured_process.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kApiToken = "front-door-token-5c1e9a7d";
// The request a smuggler hides: if it is ever answered, its 200 carries "healthy".
const std::string kHidden = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

class FrontDoor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("apex-front-door-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    server_ = new test::CapturedProcess(
        {"serve", "--port", "0", "--data-dir", (test::source_dir() / "data").string()},
        {{"API_TOKEN", kApiToken}}, *dir_);
    port_ = server_->wait_for_port(30s);
  }
  static void TearDownTestSuite() {
    server_->signal(SIGTERM);
    server_->wait(30s);
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_GT(port_, 0) << server_->output(); }

  // Sends `bytes` on one connection and reads what comes back until the server closes it
  // or 3 s pass.
  static std::string exchange(const std::string& bytes) {
    int fd = test::connect_loopback(port_);
    if (fd < 0) return "";
    test::send_all(fd, bytes);
    std::string answer = test::read_until_closed(fd, 3s);
    ::close(fd);
    return answer;
  }
  static int responses_in(const std::string& answer) {
    int n = 0;
    for (auto at = answer.find("HTTP/1.1 "); at != std::string::npos; at = answer.find("HTTP/1.1 ", at + 1))
      ++n;
    return n;
  }
  // The hidden request was not answered: one response at most, and no "healthy" in it.
  static void expect_not_smuggled(const std::string& what, const std::string& bytes) {
    const std::string answer = exchange(bytes);
    EXPECT_LE(responses_in(answer), 1) << what << "\n" << answer;
    EXPECT_EQ(answer.find("healthy"), std::string::npos) << what << ": the hidden request was answered\n"
                                                         << answer;
  }
  static long resident_kb() {
    std::ifstream status("/proc/" + std::to_string(server_->pid()) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
    return -1;
  }

  static fs::path* dir_;
  static test::CapturedProcess* server_;
  static int port_;
};
fs::path* FrontDoor::dir_ = nullptr;
test::CapturedProcess* FrontDoor::server_ = nullptr;
int FrontDoor::port_ = 0;

std::string with_length(const std::string& head, const std::string& body) {
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(FrontDoor, AGetBodyIsReadAsABodyNeverAsTheNextRequest) {
  expect_not_smuggled("GET with a body", with_length("GET / HTTP/1.1\r\nHost: x\r\n", kHidden));
  expect_not_smuggled("OPTIONS with a body",
                      with_length("OPTIONS /api/analytics/tracks HTTP/1.1\r\nHost: x\r\n", kHidden));
  expect_not_smuggled("401 with a body",
                      with_length("POST /api/analytics/tracks HTTP/1.1\r\nHost: x\r\n", kHidden));
}

TEST_F(FrontDoor, AmbiguousFramingIsRefusedAndTheConnectionClosed) {
  const std::string head =
      "POST /api/analytics/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kApiToken + "\r\n";
  const std::string chunked_hidden = "0\r\n\r\n" + kHidden;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"two different Content-Length", head + "Content-Length: 0\r\nContent-Length: " +
                                           std::to_string(kHidden.size()) + "\r\n\r\n" + kHidden},
      {"Content-Length with Transfer-Encoding",
       head + "Content-Length: " + std::to_string(chunked_hidden.size()) +
           "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_hidden},
      {"Transfer-Encoding with Content-Length",
       head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + chunked_hidden},
      {"a signed Content-Length",
       head + "Content-Length: +" + std::to_string(kHidden.size()) + "\r\n\r\n" + kHidden},
      {"a space before the colon", head + "Transfer-Encoding : chunked\r\n\r\n" + chunked_hidden},
      {"a coding other than chunked", head + "Transfer-Encoding: gzip\r\n\r\n" + kHidden},
      {"chunked, then another coding", head + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunked_hidden},
  };
  for (const auto& [what, bytes] : cases) {
    SCOPED_TRACE(what);
    int fd = test::connect_loopback(port_);
    ASSERT_GE(fd, 0);
    test::send_all(fd, bytes);
    bool closed = false;
    const std::string answer = test::read_until_closed(fd, 5s, &closed);
    ::close(fd);
    EXPECT_EQ(test::status_of(answer), 400) << answer;
    EXPECT_EQ(responses_in(answer), 1) << answer;
    EXPECT_EQ(answer.find("healthy"), std::string::npos) << answer;
    EXPECT_TRUE(closed) << "the connection stayed open after a request it could not frame";
  }
}

TEST_F(FrontDoor, AHeaderFloodIsRefusedEarlyWithoutTakingMemory) {
  const long before = resident_kb();
  ASSERT_GT(before, 0);
  // Four connections send 8 KB header lines for as long as the server reads them.
  const std::string line = "X-Flood: " + std::string(8 * 1024, 'f') + "\r\n";
  std::vector<std::thread> floods;
  std::vector<std::string> answers(4);
  std::vector<std::size_t> sent(4, 0);
  for (int i = 0; i < 4; ++i)
    floods.emplace_back([&, i] {
      int fd = test::connect_loopback(port_);
      if (fd < 0) return;
      test::send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n");
      // Like any client that reads while it sends, it stops once an answer arrives.
      const auto until = std::chrono::steady_clock::now() + 3s;
      while (std::chrono::steady_clock::now() < until && test::send_all(fd, line)) {
        sent[i] += line.size();
        pollfd answer{fd, POLLIN, 0};
        if (::poll(&answer, 1, 0) > 0) break;
      }
      answers[i] = test::read_until_closed(fd, 3s);
      ::close(fd);
    });
  for (auto& t : floods) t.join();
  const long after = resident_kb();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(test::status_of(answers[i]), 431) << answers[i].substr(0, 300);
    // Refused early: the server stopped reading long before 3 s of loopback-speed sending.
    EXPECT_LT(sent[i], 64u << 20) << "connection " << i << " sent " << sent[i] << " bytes";
  }
  EXPECT_LT(after - before, 64 * 1024)
      << "resident memory grew from " << before << " kB to " << after << " kB";
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/health")), 200);
}

TEST_F(FrontDoor, TwoHundredSlowClientsDoNotStarveANormalOne) {
  // Each slow client sends its request line, then one header byte a second.
  constexpr int kSlow = 200;
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    int fd = test::connect_loopback(port_);
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(test::send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    slow.push_back(fd);
  }
  std::vector<double> waits_ms;
  const auto until = std::chrono::steady_clock::now() + 4s;
  auto next_trickle = std::chrono::steady_clock::now();
  int answered = 0, asked = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (std::chrono::steady_clock::now() >= next_trickle) {
      for (int fd : slow) test::send_all(fd, "a");
      next_trickle += 1s;
    }
    const auto start = std::chrono::steady_clock::now();
    ++asked;
    const std::string answer = test::raw_request(port_, "GET", "/health");
    waits_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (test::status_of(answer) == 200) ++answered;
  }
  // Every slow socket is still open (none was closed to make room).
  int open = 0;
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    const bool readable = ::poll(&p, 1, 0) > 0;
    char byte = 0;
    const bool closed = readable && ::recv(fd, &byte, 1, MSG_PEEK) <= 0;
    if (!closed && !readable) ++open;
    ::close(fd);
  }
  std::sort(waits_ms.begin(), waits_ms.end());
  std::printf(
      "[ slow clients ] %d slow sockets open; %d of %d normal requests answered, median %.2f ms, max %.2f "
      "ms\n",
      open, answered, asked, waits_ms[waits_ms.size() / 2], waits_ms.back());
  EXPECT_EQ(open, kSlow);
  EXPECT_EQ(answered, asked);
  EXPECT_GT(asked, 10);
}

TEST_F(FrontDoor, TheLogHoldsNoControlByteFromARequestAndNoToken) {
  // A raw ESC and CR in the target, a percent-encoded one, a token in the query and in the
  // Authorization header.
  exchange("GET /health\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n");
  exchange("GET /he\ralth HTTP/1.1\r\nHost: x\r\n\r\n");
  test::raw_request(port_, "GET", "/api/analytics/tracks?x=%1b%5b31m%0d%0aforged");
  test::raw_request(port_, "GET", "/api/analytics/tracks?token=" + kApiToken);
  test::raw_request(port_, "GET", "/api/analytics/tracks", "Authorization: Bearer " + kApiToken + "\r\n");
  std::this_thread::sleep_for(200ms);
  const std::string log = server_->output();
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << "an ESC byte reached the log";
  EXPECT_EQ(log.find('\r'), std::string::npos) << "a CR reached the log";
  EXPECT_EQ(log.find(kApiToken), std::string::npos) << "the token reached the log";
  EXPECT_NE(log.find("token=***"), std::string::npos) << log;
  for (std::size_t at = log.find("forged"); at != std::string::npos; at = log.find("forged", at + 1))
    EXPECT_NE(log[at - 1], '\n') << "a request started a log line of its own";
  // Durations are real: every access line ends in a plausible number of microseconds.
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.ends_with("us") || line.starts_with("apex:")) continue;
    const auto space = line.rfind(' ');
    const long long micros = std::atoll(line.c_str() + space + 1);
    EXPECT_TRUE(micros >= 0 && micros < 60'000'000) << line;
  }
}

TEST_F(FrontDoor, TrailersAndChunkExtensionsAreBoundedLikeHeaders) {
  const long before = resident_kb();
  // A chunked body whose trailer section never ends, and one chunk whose extension never does.
  const std::string head = "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& opening : {head + "0\r\n", head + "1;e="}) {
    int fd = test::connect_loopback(port_);
    ASSERT_GE(fd, 0);
    test::send_all(fd, opening);
    const std::string filler =
        opening.ends_with("e=") ? std::string(64 * 1024, 'e') : "T: " + std::string(1000, 'v') + "\r\n";
    std::size_t sent = 0;
    while (sent < (64u << 20) && test::send_all(fd, filler)) {
      sent += filler.size();
      pollfd answer{fd, POLLIN, 0};
      if (::poll(&answer, 1, 0) > 0) break;
    }
    const std::string answer = test::read_until_closed(fd, 3s);
    ::close(fd);
    EXPECT_EQ(test::status_of(answer), 431) << answer.substr(0, 300);
    EXPECT_LT(sent, 64u << 20) << "the server kept reading";
  }
  EXPECT_LT(resident_kb() - before, 64 * 1024);
}

TEST_F(FrontDoor, HostAndTransferCodingsAreReadAsRfc9112Says) {
  EXPECT_EQ(test::status_of(exchange("GET /health HTTP/1.1\r\n\r\n")), 400) << "no Host";
  EXPECT_EQ(test::status_of(exchange("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), 400)
      << "two Hosts";
  EXPECT_EQ(test::status_of(exchange("GET /health HTTP/1.0\r\n\r\n")), 200) << "HTTP/1.0 needs no Host";
  const std::string chunked_hidden = "0\r\n\r\n" + kHidden;
  for (const std::string codings : {"Transfer-Encoding: gzip, chunked\r\n",
                                    "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"}) {
    const std::string answer =
        exchange("POST /health HTTP/1.1\r\nHost: x\r\n" + codings + "\r\n" + chunked_hidden);
    EXPECT_EQ(test::status_of(answer), 501) << codings << answer;
    EXPECT_EQ(answer.find("healthy"), std::string::npos) << codings << answer;
  }
  // After an HTTP/1.0 message with a transfer coding, the connection closes (RFC 9112, 6.1).
  const std::string old =
      exchange("POST /health HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" +
               chunked_hidden);
  EXPECT_EQ(responses_in(old) + (old.starts_with("HTTP/1.0") ? 1 : 0), 1) << old;
  EXPECT_EQ(old.find("healthy"), std::string::npos) << old;
}

TEST_F(FrontDoor, AClientThatExpectsContinueGetsIt) {
  int fd = test::connect_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string body = R"({"current_lap": 12, "total_laps": 27, "tire_age": 12, "fuel_level": 40.0})";
  test::send_all(
      fd,
      "POST /api/strategy/track/barber-motorsports-park/session/R1/driver/13/pit-strategy HTTP/1.1\r\n"
      "Host: x\r\nAuthorization: Bearer " +
          kApiToken +
          "\r\nContent-Type: application/json\r\n"
          "Expect: 100-continue\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n");
  // The 100 comes before the body is sent; then the answer.
  const std::string interim = test::read_until_closed(fd, 2s);
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue")) << interim;
  test::send_all(fd, body);
  const std::string answer = test::read_until_closed(fd, 3s);
  ::close(fd);
  EXPECT_EQ(test::status_of(answer), 200) << answer.substr(0, 300);
}

TEST_F(FrontDoor, TheGzipRepresentationHasItsOwnTagAndVaries) {
  auto headers_of = [](const std::string& answer) { return answer.substr(0, answer.find("\r\n\r\n")); };
  auto field = [](const std::string& headers, const std::string& name) {
    const auto at = headers.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::string();
    const auto start = at + name.size() + 4;
    return headers.substr(start, headers.find("\r\n", start) - start);
  };
  const std::string plain = headers_of(test::raw_request(port_, "GET", "/openapi.json"));
  const std::string gzipped =
      headers_of(test::raw_request(port_, "GET", "/openapi.json", "Accept-Encoding: gzip\r\n"));
  ASSERT_EQ(field(gzipped, "Content-Encoding"), "gzip") << gzipped;
  EXPECT_NE(field(plain, "ETag"), field(gzipped, "ETag"));
  EXPECT_NE(field(gzipped, "Vary").find("Accept-Encoding"), std::string::npos) << gzipped;
  // Either tag revalidates: the client holds that representation.
  for (const std::string& tag : {field(plain, "ETag"), field(gzipped, "ETag")})
    EXPECT_EQ(
        test::status_of(test::raw_request(port_, "GET", "/openapi.json", "If-None-Match: " + tag + "\r\n")),
        304)
        << tag;
  // HEAD is allowed wherever GET is.
  const std::string put = test::raw_request(port_, "PUT", "/health", "Content-Length: 0\r\n");
  EXPECT_EQ(test::status_of(put), 405);
  EXPECT_EQ(field(headers_of(put), "Allow"), "GET, HEAD") << put;
}

TEST_F(FrontDoor, EmptyLinesBeforeARequestAndAnAbsoluteTargetAreAccepted) {
  // RFC 9112, 2.2 and 3.2.2.
  const std::string after_empty_lines =
      exchange("\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(test::status_of(after_empty_lines), 200) << after_empty_lines;
  const std::string absolute =
      exchange("GET http://127.0.0.1/api/analytics/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
               kApiToken + "\r\nConnection: close\r\n\r\n");
  const std::string origin =
      test::raw_request(port_, "GET", "/api/analytics/tracks", "Authorization: Bearer " + kApiToken + "\r\n");
  ASSERT_EQ(test::status_of(absolute), 200) << absolute;
  EXPECT_EQ(test::body_of(absolute), test::body_of(origin));
}

TEST_F(FrontDoor, AFoldedHeaderLineIsRefusedAndWhatFollowsIsNotAnswered) {
  for (const std::string fold : {" chunked", "\tchunked"}) {
    const std::string answer =
        exchange("POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n" + fold +
                 "\r\nContent-Length: " + std::to_string(kHidden.size()) + "\r\n\r\n" + kHidden);
    EXPECT_EQ(test::status_of(answer), 400) << answer;
    EXPECT_EQ(responses_in(answer), 1) << answer;
    EXPECT_NE(answer.find("folding"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("healthy"), std::string::npos) << answer;
  }
}

// One client address may hold MAX_CONNECTIONS_PER_CLIENT connections; beyond it a new one is
// answered 503 while another address is still served.
TEST(FrontDoorLimits, OneClientCannotTakeEveryConnection) {
  const fs::path dir = fs::temp_directory_path() / ("apex-front-door-limit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::CapturedProcess server({"serve", "--port", "0", "--data-dir", (test::source_dir() / "data").string()},
                               {{"MAX_CONNECTIONS_PER_CLIENT", "3"}}, dir);
  const int port = server.wait_for_port(30s);
  ASSERT_GT(port, 0) << server.output();
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(test::connect_loopback(port));
    ASSERT_GE(held.back(), 0);
    ASSERT_TRUE(test::send_all(held.back(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  // Each held connection has been answered and stays open (keep-alive): all three are counted.
  for (int fd : held) EXPECT_EQ(test::status_of(test::read_until_closed(fd, 500ms)), 200);
  const std::string refused = test::raw_request(port, "GET", "/health");
  EXPECT_EQ(test::status_of(refused), 503) << refused;
  EXPECT_NE(refused.find("from this address"), std::string::npos) << refused;
  int other = test::connect_loopback(port, "127.0.0.2");
  ASSERT_GE(other, 0);
  test::send_all(other, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(test::status_of(test::read_until_closed(other, 3s)), 200) << "another address is still served";
  ::close(other);
  // A closed connection frees its place.
  ::close(held.back());
  held.pop_back();
  std::string again;
  for (int attempt = 0; attempt < 50 && test::status_of(again) != 200; ++attempt) {
    std::this_thread::sleep_for(20ms);
    again = test::raw_request(port, "GET", "/health");
  }
  EXPECT_EQ(test::status_of(again), 200) << again;
  for (int fd : held) ::close(fd);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(15s), 0);
  fs::remove_all(dir);
}

// SIGTERM right after many clients sent whole requests: every request sent is answered, those
// still in the listen backlog included.
TEST(FrontDoorShutdown, EveryRequestSentBeforeSigtermIsAnswered) {
  const fs::path dir = fs::temp_directory_path() / ("apex-front-door-stop-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::CapturedProcess server({"serve", "--port", "0", "--data-dir", (test::source_dir() / "data").string()},
                               {}, dir);
  const int port = server.wait_for_port(30s);
  ASSERT_GT(port, 0) << server.output();
  constexpr int kClients = 100;
  std::vector<int> clients;
  for (int i = 0; i < kClients; ++i) {
    int fd = test::connect_loopback(port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(test::send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    clients.push_back(fd);
  }
  server.signal(SIGTERM);
  int answered = 0;
  for (int fd : clients) {
    const std::string answer = test::read_until_closed(fd, 10s);
    answered += test::status_of(answer) == 200;
    ::close(fd);
  }
  EXPECT_EQ(answered, kClients) << server.output().substr(0, 2000);
  EXPECT_EQ(server.wait(15s), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace apex
