// The security promises of SECURITY.md, checked against the real binary over real sockets:
// - secrets (AWS secret key, session token, API token) never appear in anything apex
//   prints or answers, whatever fails (unreachable endpoint, refused credentials, bad
//   configuration);
// - hostile path and query values are answered 400 before any lookup;
// - API_TOKEN guards /api and only /api;
// - size limits and slow-client timeouts hold;
// - SIGTERM lets the request in flight finish, refuses new connections, and exits 0.
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <nlohmann/json.hpp>

#include "captured_process.h"
#include "loopback_process.h"
#include "signing_peer.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// Fake credentials that look like real ones. None may ever be printed or answered, in whole
// or in part (a 12-byte fragment is enough to give a secret away).
const std::string kAccessKeyId = "AKIAAPEXTESTKEY40001";
const std::string kSecretKey = "apexFAKEsecret/k3yQ9wZr7Tn+Lm2Vx8Pd5Sa1Hb6Jc4GfEuYi";
const std::string kSessionToken = "IQoJb3JpZ2luX2VjEApexFakeSessionTokenQ29udGVudERvZXNOb3RNYXR0ZXI=";
const std::string kApiToken = "apex-fake-api-token-6f1d2c9b8a7e4d3c";

fs::path work_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("apex-security-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every secret, and every 12-byte window of each, absent from text.
void expect_no_secret(const std::string& text, const std::string& where) {
  for (const std::string& secret : std::vector<std::string>{kSecretKey, kSessionToken, kApiToken}) {
    for (std::size_t at = 0; at + 12 <= secret.size(); ++at) {
      const std::string fragment = secret.substr(at, 12);
      ASSERT_EQ(text.find(fragment), std::string::npos)
          << where << " contains part of a secret ('" << fragment << "'):\n"
          << text;
    }
  }
}

std::map<std::string, std::string> s3_env(const std::string& endpoint) {
  return {{"USE_S3_DATA", "true"},
          {"S3_ENDPOINT_URL", endpoint},
          {"S3_BUCKET_NAME", "apex-secrets-test"},
          {"AWS_REGION", "eu-west-1"},
          {"AWS_ACCESS_KEY_ID", kAccessKeyId},
          {"AWS_SECRET_ACCESS_KEY", kSecretKey},
          {"AWS_SESSION_TOKEN", kSessionToken},
          {"API_TOKEN", kApiToken}};
}

// Runs a command to completion; returns its output and puts its exit code in *code.
std::string run_apex(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                     const fs::path& dir, int* code) {
  test::CapturedProcess process(args, env, dir);
  auto exit_code = process.wait(120s);
  *code = exit_code.value_or(-2);
  return process.output();
}

// Everything `apex serve`, ls, upload and download print, and what the server answers,
// against one S3 endpoint that cannot be used. Returns all of it for the leak check.
// upload_code: 1 for an endpoint that cannot be reached (a failure at run time, as for every
// command), 2 for one that refuses the credentials (a setting to fix).
std::string everything_printed_against(const std::string& endpoint, const fs::path& dir, int upload_code) {
  std::string all;
  const auto env = s3_env(endpoint);
  {
    test::CapturedProcess serve({"serve", "--port", "0"}, env, dir);
    const int port = serve.wait_for_port(60s);
    EXPECT_GT(port, 0) << "apex serve did not start:\n" << serve.output();
    if (port > 0) {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(60, 0);
      const httplib::Headers auth = {{"Authorization", "Bearer " + kApiToken}};
      for (const std::string& path : std::vector<std::string>{
               "/health", "/api/analytics/tracks", "/api/analytics/track/barber/session/R1/best-lap", "/"}) {
        auto res = client.Get(path, auth);
        EXPECT_TRUE(res) << path;
        if (!res) continue;
        all += path + " -> " + std::to_string(res->status) + " " + res->body + "\n";
        for (const auto& [name, value] : res->headers) all += name + ": " + value + "\n";
      }
      auto health = client.Get("/health");
      EXPECT_TRUE(health);
      if (health) {
        EXPECT_NE(health->body.find("degraded"), std::string::npos) << health->body;
      }
    }
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(30s), 0) << serve.output();
    all += serve.output();
  }
  fs::create_directories(dir / "tree" / "t");
  std::ofstream(dir / "tree" / "t" / "R1_t_lap_time.csv") << "lap,time\n1,1:40.000\n";
  int code = 0;
  all += run_apex({"ls"}, env, dir, &code);
  EXPECT_NE(code, 0);
  all += run_apex({"upload", (dir / "tree").string()}, env, dir, &code);
  EXPECT_EQ(code, upload_code) << "unreachable: 1 (run time); refused credentials: 2 (a setting)";
  all += run_apex({"download", (dir / "mirror").string()}, env, dir, &code);
  EXPECT_NE(code, 0);
  return all;
}

TEST(SecretsNeverPrinted, UnreachableEndpoint) {
  const auto dir = work_dir("unreachable");
  // A port nothing listens on: every request fails to connect and is retried, then reported.
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
  const std::string all = everything_printed_against(endpoint, dir, 1);
  EXPECT_NE(all.find("cannot reach"), std::string::npos) << "the failure itself is explained:\n" << all;
  expect_no_secret(all, "output against an unreachable endpoint");
  fs::remove_all(dir);
}

// A server that checks signatures and does not know the fake key (signing_peer.h): every
// call is refused.
class SecretsNeverPrintedWhenRefused : public ::testing::TestWithParam<std::string> {};

TEST_P(SecretsNeverPrintedWhenRefused, EndpointThatRefusesTheCredentials) {
  test::SigningPeer peer(GetParam(), "apex-secrets-test");
  if (!peer.skip_reason().empty()) GTEST_SKIP() << peer.skip_reason();
  ASSERT_TRUE(peer.error().empty()) << peer.error();
  const auto dir = work_dir("refused");
  const std::string all = everything_printed_against(peer.endpoint(), dir, 2);
  EXPECT_NE(all.find("AWS_ACCESS_KEY_ID"), std::string::npos) << "the refusal names the variable to check:\n"
                                                              << all;
  expect_no_secret(all, "output against a server refusing the credentials");
  if (auto seen = peer.signatures()) {
    EXPECT_TRUE(seen->at("accepted").empty()) << seen->dump();
    EXPECT_FALSE(seen->at("refused").empty()) << "the requests reached the checker";
    for (const auto& refused : seen->at("refused")) EXPECT_EQ(refused["key"], kAccessKeyId) << refused.dump();
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Peers, SecretsNeverPrintedWhenRefused, ::testing::Values("botocore", "moto"),
                         [](const auto& peer) { return peer.param; });

TEST(SecretsNeverPrinted, ConfigurationErrors) {
  const auto dir = work_dir("config");
  std::string all;
  int code = 0;
  // A secret without its key id, a session token with a bad region, an API token too short.
  all += run_apex(
      {"serve", "--port", "0"},
      {{"USE_S3_DATA", "true"}, {"AWS_SECRET_ACCESS_KEY", kSecretKey}, {"AWS_SESSION_TOKEN", kSessionToken}},
      dir, &code);
  EXPECT_EQ(code, 2);
  all +=
      run_apex({"ls"}, {{"AWS_REGION", "not a region"}, {"AWS_SECRET_ACCESS_KEY", kSecretKey}}, dir, &code);
  EXPECT_EQ(code, 2);
  const std::string short_token = kApiToken.substr(0, 13);
  auto out = run_apex({"serve", "--port", "0", "--data-dir", (test::source_dir() / "data").string()},
                      {{"API_TOKEN", short_token}}, dir, &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("API_TOKEN"), std::string::npos) << out;
  EXPECT_EQ(out.find(short_token), std::string::npos) << out;
  all += out;
  // The same secrets in a .env file rather than the environment.
  std::ofstream(dir / ".env") << "USE_S3_DATA=true\nAWS_SECRET_ACCESS_KEY=" << kSecretKey << "\n";
  all += run_apex({"serve", "--port", "0"}, {}, dir, &code);
  EXPECT_EQ(code, 2);
  fs::remove(dir / ".env");
  expect_no_secret(all, "configuration errors");
  fs::remove_all(dir);
}

TEST(SecretsNeverPrinted, PasswordInTheEndpointUrl) {
  const auto dir = work_dir("endpoint-userinfo");
  const std::string password = "SuperSecretValue123";
  auto env = s3_env("http://user:" + password + "@127.0.0.1:" + std::to_string(test::free_loopback_port()));
  std::string all;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"tracks"}, {"ls"}, {"serve", "--port", "0"}, {"download", (dir / "mirror").string()}}) {
    int code = 0;
    const std::string out = run_apex(args, env, dir, &code);
    // Refused as a setting before any request: the URL's password would otherwise be
    // echoed by every message naming the endpoint.
    EXPECT_EQ(code, 2) << args.front() << ":\n" << out;
    EXPECT_NE(out.find("S3_ENDPOINT_URL"), std::string::npos) << args.front() << ":\n" << out;
    EXPECT_NE(out.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << args.front() << ":\n" << out;
    EXPECT_EQ(out.find(password), std::string::npos) << args.front() << ":\n" << out;
    all += out;
  }
  EXPECT_FALSE(fs::exists(dir / "mirror"));
  expect_no_secret(all, "a password in S3_ENDPOINT_URL");
  fs::remove_all(dir);
}

// One `apex serve` on the committed data/ folder, with API_TOKEN set.
class ServeWithToken : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(work_dir("serve"));
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

  static std::string authorized(const std::string& method, const std::string& target) {
    return test::raw_request(port_, method, target, "Authorization: Bearer " + kApiToken + "\r\n");
  }
  static void expect_400(const std::string& target) {
    std::string answer = authorized("GET", target);
    EXPECT_EQ(test::status_of(answer), 400) << target << "\n" << answer;
    auto body = json::parse(test::body_of(answer), nullptr, false);
    EXPECT_TRUE(body.is_object() && body["detail"].is_string()) << target << "\n" << answer;
  }

  static fs::path* dir_;
  static test::CapturedProcess* server_;
  static int port_;
};
fs::path* ServeWithToken::dir_ = nullptr;
test::CapturedProcess* ServeWithToken::server_ = nullptr;
int ServeWithToken::port_ = 0;

const std::string kSession = "/api/analytics/track/barber-motorsports-park/session/R1";

TEST_F(ServeWithToken, ApiNeedsTheBearerToken) {
  for (const std::string& target : std::vector<std::string>{"/api/analytics/tracks", kSession + "/drivers",
                                                            "/api/no-such-route", "/api"}) {
    SCOPED_TRACE(target);
    std::string none = test::raw_request(port_, "GET", target);
    EXPECT_EQ(test::status_of(none), 401) << none;
    EXPECT_NE(none.find("WWW-Authenticate: Bearer"), std::string::npos) << none;
    auto body = json::parse(test::body_of(none), nullptr, false);
    ASSERT_TRUE(body.is_object()) << none;
    EXPECT_TRUE(body["detail"].is_string());
    std::string wrong =
        test::raw_request(port_, "GET", target, "Authorization: Bearer " + kApiToken + "x\r\n");
    EXPECT_EQ(test::status_of(wrong), 401) << wrong;
    std::string prefix = test::raw_request(port_, "GET", target, "Authorization: Bearer apex\r\n");
    EXPECT_EQ(test::status_of(prefix), 401) << prefix;
    std::string basic = test::raw_request(port_, "GET", target, "Authorization: Basic " + kApiToken + "\r\n");
    EXPECT_EQ(test::status_of(basic), 401) << basic;
  }
  EXPECT_EQ(test::status_of(authorized("GET", "/api/analytics/tracks")), 200);
  EXPECT_EQ(test::status_of(authorized("GET", kSession + "/drivers")), 200);
  // The scheme is case-insensitive (RFC 6750).
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/api/analytics/tracks",
                                              "Authorization: bearer " + kApiToken + "\r\n")),
            200);
  // A POST without the token is refused before its body is read.
  std::string post = test::raw_request(port_, "POST", kSession + "/driver/13/pit-strategy",
                                       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(test::status_of(post), 401) << post;
}

TEST_F(ServeWithToken, OutsideApiStaysOpenAndPreflightWorks) {
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/health")), 200);
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/openapi.json")), 200);
  // Browsers send the preflight without credentials; it must allow the Authorization header.
  std::string preflight =
      test::raw_request(port_, "OPTIONS", "/api/analytics/tracks",
                        "Origin: https://example.com\r\nAccess-Control-Request-Method: GET\r\n"
                        "Access-Control-Request-Headers: authorization\r\n");
  EXPECT_EQ(test::status_of(preflight), 204) << preflight;
  EXPECT_NE(preflight.find("Authorization"), std::string::npos) << preflight;
}

TEST_F(ServeWithToken, HostilePathAndQueryValuesAre400) {
  const std::string track = "/api/analytics/track/";
  expect_400(track + "..%2F..%2Fetc/sessions");             // encoded slash
  expect_400(track + "barber%2fmotorsports/sessions");      // lower-case hex too
  expect_400(track + "..%5C..%5Cwindows/sessions");         // encoded backslash
  expect_400(track + "barber%00/sessions");                 // NUL byte
  expect_400(track + "%2e%2e/sessions");                    // decodes to ".."
  expect_400(track + "../sessions");                        // ".." as sent (curl --path-as-is)
  expect_400(track + "a..b/sessions");                      // ".." inside a name
  expect_400(track + "a%01b/sessions");                     // control character
  expect_400(track + "a%0Ab/sessions");                     // newline (log injection)
  expect_400(track + "%FF%FE/sessions");                    // not UTF-8
  expect_400(track + "%C0%AF/sessions");                    // overlong UTF-8 for '/'
  expect_400(track + std::string(129, 'a') + "/sessions");  // too long
  expect_400(kSession + "/driver/..%2F13/performance");
  expect_400(kSession + "/driver/13%00/performance");
  expect_400(kSession + "/laps?driver=13%00");
  expect_400(kSession + "/laps?driver=" + std::string(300, '1'));
  expect_400(kSession + "/laps?driver=%FF");
  expect_400("/docs%2F..%2F..%2Fetc%2Fpasswd");  // any path, not only API routes
  // Still fine: the longest name accepted is only unknown, and a session alias with a space.
  EXPECT_EQ(test::status_of(authorized("GET", track + std::string(128, 'a') + "/sessions")), 404);
  EXPECT_EQ(test::status_of(authorized("GET", kSession.substr(0, kSession.size() - 2) + "Race%201/drivers")),
            200);
  EXPECT_EQ(test::status_of(authorized("GET", kSession + "/laps?driver=13&valid=true")), 200);
}

TEST_F(ServeWithToken, SizeLimits) {
  // Sent at once: each answer arrives within about 5 s (a read or keep-alive timeout closes
  // the connection after it), so waiting for them one after the other would triple that.
  // A body over 64 KiB is refused from its Content-Length, before it is read.
  auto big = std::async(std::launch::async, [] {
    return test::raw_request(port_, "POST", kSession + "/driver/13/pit-strategy",
                             "Authorization: Bearer " + kApiToken +
                                 "\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n");
  });
  // A request line over the 16 KiB limit of request line and headers.
  auto long_target = std::async(std::launch::async, [] {
    // Appended, not "..." + std::string(9000, 'a'): g++ 12 -O3 reports a false
    // -Warray-bounds on that temporary, depending on what else the unity batch inlines.
    std::string target = "/api/analytics/tracks?x=";
    target.append(17000, 'a');
    return authorized("GET", target);
  });
  // A header line over that limit, appended for the same reason as the target above.
  auto long_header = std::async(std::launch::async, [] {
    std::string header = "X-Padding: ";
    header.append(17000, 'a');
    header += "\r\n";
    return test::raw_request(port_, "GET", "/health", header);
  });
  const std::string big_answer = big.get();
  EXPECT_EQ(test::status_of(big_answer), 413) << big_answer;
  const std::string target_answer = long_target.get();
  EXPECT_GE(test::status_of(target_answer), 400) << target_answer.substr(0, 200);
  const std::string header_answer = long_header.get();
  EXPECT_TRUE(header_answer.empty() || test::status_of(header_answer) >= 400) << header_answer.substr(0, 200);
}

TEST_F(ServeWithToken, SlowClientsAreDisconnected) {
  // One client sends nothing, one stops in the middle of its headers: both are cut off by
  // the server's timeouts: the idle one after 5 s, the stalled one gets a 408 when its
  // request has not arrived whole after 10 s, and is closed.
  int idle = test::connect_loopback(port_);
  int stalled = test::connect_loopback(port_);
  ASSERT_GE(idle, 0);
  ASSERT_GE(stalled, 0);
  test::send_all(stalled, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const auto start = std::chrono::steady_clock::now();
  bool idle_closed = false, stalled_closed = false;
  test::read_until_closed(idle, 20s, &idle_closed);
  const std::string stalled_answer = test::read_until_closed(stalled, 20s, &stalled_closed);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(idle_closed);
  EXPECT_TRUE(stalled_closed);
  EXPECT_LT(waited, 16s);
  EXPECT_EQ(test::status_of(stalled_answer), 408) << stalled_answer;
  ::close(idle);
  ::close(stalled);
  // And the server still answers.
  EXPECT_EQ(test::status_of(test::raw_request(port_, "GET", "/health")), 200);
}

TEST_F(ServeWithToken, TokenIsNeverLogged) {
  authorized("GET", "/api/analytics/tracks");
  test::raw_request(port_, "GET", "/api/analytics/tracks",
                    "Authorization: Bearer " + kApiToken + "-wrong\r\n");
  expect_no_secret(server_->output(), "the access log");
}

TEST(GracefulShutdown, SigtermFinishesTheRequestInFlightAndExitsZero) {
  const auto dir = work_dir("shutdown");
  test::CapturedProcess server({"serve", "--port", "0", "--data-dir", (test::source_dir() / "data").string()},
                               {}, dir);
  const int port = server.wait_for_port(30s);
  ASSERT_GT(port, 0) << server.output();
  // A request in flight: its headers half sent when SIGTERM arrives.
  int in_flight = test::connect_loopback(port);
  ASSERT_GE(in_flight, 0);
  ASSERT_TRUE(test::send_all(in_flight, "GET " + kSession + "/drivers HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  std::this_thread::sleep_for(300ms);
  server.signal(SIGTERM);
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(server.wait(0ms)) << "apex exited with a request in flight:\n" << server.output();
  // No new connections once stopping.
  int late = test::connect_loopback(port);
  EXPECT_LT(late, 0) << "a connection was accepted after SIGTERM";
  if (late >= 0) ::close(late);
  // The request in flight completes with a full answer.
  ASSERT_TRUE(test::send_all(in_flight, "Connection: close\r\n\r\n"));
  const std::string answer = test::read_until_closed(in_flight, 10s);
  ::close(in_flight);
  EXPECT_EQ(test::status_of(answer), 200) << answer;
  auto drivers = json::parse(test::body_of(answer), nullptr, false);
  EXPECT_TRUE(drivers.is_array() && !drivers.empty()) << answer;
  EXPECT_EQ(server.wait(15s), 0) << server.output();
  EXPECT_NE(server.output().find("SIGTERM"), std::string::npos) << server.output();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace apex
