// Shared by the apex upload/download tests: an s3rver on loopback, a small HTTP proxy in
// front of it that counts requests and injects faults, and a way to run the apex binary
// with a clean S3 environment.
#pragma once

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "loopback_process.h"
#include "test_paths.h"

// The test's own XXH3-128, one shot from the library's header, independent of the
// streaming ContentDigest apex hashes files with.
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

namespace apex::test::upload {

inline constexpr const char* kUploadBucket = "apex-test";

inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string bytes(n, '\0');
  for (auto& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

inline std::string xxh128_hex(const std::string& bytes) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : canonical.digest) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

// A bitwise CRC-32C (reflected polynomial 0x82F63B78) as S3's x-amz-checksum-crc32c header
// carries it: base64 of the four big-endian bytes.
inline std::string crc32c_header(const std::string& bytes) {
  std::uint32_t crc = ~0u;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  crc = ~crc;
  const unsigned char raw[4] = {static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16),
                                static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::uint32_t first = (raw[0] << 16) | (raw[1] << 8) | raw[2];
  std::string out;
  for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(first >> shift) & 63]);
  out.push_back(kAlphabet[raw[3] >> 2]);
  out.push_back(kAlphabet[(raw[3] & 3) << 4]);
  return out + "==";
}

inline std::string quote_arg(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// s3rver with one bucket; `error` says why it is not running.
class S3rver {
 public:
  S3rver() {
    auto script = source_dir() / "tests" / "node_modules" / "s3rver" / "bin" / "s3rver.js";
    if (!std::filesystem::exists(script)) {
      error = script.string() + " is missing: run `make node-deps` (npm ci in tests/) first";
      return;
    }
    dir_ = fresh_dir("apex-upload-s3rver");
    port = free_loopback_port();
    process_ = std::make_unique<LoopbackProcess>(
        std::vector<std::string>{"node", "--openssl-legacy-provider", script.string(), "-d",
                                 (dir_ / "data").string(), "-a", "127.0.0.1", "-p", std::to_string(port),
                                 "--silent", "--configure-bucket", kUploadBucket},
        std::map<std::string, std::string>{}, dir_ / "s3rver.log");
    std::string why;
    if (!process_->started() || !process_->wait_for_port(port, std::chrono::seconds(20), &why))
      error = "s3rver did not start: " + why;
  }
  ~S3rver() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }

  int port = 0;
  std::string error;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<LoopbackProcess> process_;
};

// Forwards every request to an upstream S3 server, counting them; `fault` may answer
// instead (a status code, e.g. 503) for chosen requests.
class FaultProxy {
 public:
  struct Seen {
    std::string method;
    std::string target;
    std::string checksum_crc32c;  // the x-amz-checksum-crc32c header, if any
  };
  // Returns 0 to forward, or the status to answer with. n: how many requests with this
  // method and target came before.
  using Fault = std::function<int(const std::string& method, const std::string& target, int n)>;

  explicit FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    const char* all = ".*";
    server_.Get(all, handler);
    server_.Put(all, handler);
    server_.Post(all, handler);
    server_.Delete(all, handler);
    port = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FaultProxy() {
    server_.stop();
    thread_.join();
  }

  void set_fault(Fault fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Answers 400 AccessControlListNotSupported to requests carrying x-amz-acl, like a bucket
  // with ACLs disabled (the S3 default since 2023).
  void refuse_acls(bool on) {
    std::lock_guard lock(mutex_);
    refuse_acls_ = on;
  }
  // Holds every request whose target contains `part` (with at_end: ends with it) for
  // `delay` before forwarding it, so a test can act while such requests are in flight, or
  // let other requests finish first. An empty part turns it off.
  void set_delay(std::string part, std::chrono::milliseconds delay, bool at_end = false) {
    std::lock_guard lock(mutex_);
    delay_part_ = std::move(part);
    delay_ = delay;
    delay_at_end_ = at_end;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    seen_.clear();
    per_request_.clear();
  }
  // Requests with this method whose target contains `part` (all when empty).
  std::size_t count(const std::string& method, const std::string& part = {}) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& s : seen_)
      if (s.method == method && (part.empty() || s.target.find(part) != std::string::npos)) ++n;
    return n;
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }

  int port = 0;

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    int status = 0;
    std::chrono::milliseconds hold{0};
    {
      std::lock_guard lock(mutex_);
      seen_.push_back({req.method, req.target, req.get_header_value("x-amz-checksum-crc32c")});
      if (!delay_part_.empty() && (delay_at_end_ ? req.target.ends_with(delay_part_)
                                                 : req.target.find(delay_part_) != std::string::npos))
        hold = delay_;
      int n = per_request_[req.method + " " + req.target]++;
      if (fault_) status = fault_(req.method, req.target, n);
      if (refuse_acls_ && req.has_header("x-amz-acl")) {
        res.status = 400;
        res.set_content(
            "<?xml version=\"1.0\"?><Error><Code>AccessControlListNotSupported</Code><Message>The "
            "bucket does not allow ACLs</Message></Error>",
            "application/xml");
        return;
      }
    }
    std::this_thread::sleep_for(hold);
    if (status != 0) {
      res.status = status;
      res.set_content(
          "<?xml version=\"1.0\"?><Error><Code>ServiceUnavailable</Code><Message>injected by the "
          "test proxy</Message></Error>",
          "application/xml");
      return;
    }
    httplib::Client client("127.0.0.1", upstream_port_);
    client.set_url_encode(false);
    client.set_read_timeout(60, 0);
    httplib::Request forward;
    forward.method = req.method;
    forward.path = req.target;
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "host" || lower == "content-length" || lower == "expect" || lower == "connection" ||
          lower.starts_with("remote_") || lower.starts_with("local_") || lower == "transfer-encoding")
        continue;
      forward.headers.emplace(name, value);
    }
    forward.body = req.body;
    auto result = client.send(forward);
    if (!result) {
      res.status = 502;
      return;
    }
    res.status = result->status;
    for (const auto& [name, value] : result->headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
          lower == "keep-alive" || lower == "content-type")
        continue;
      res.headers.emplace(name, value);
    }
    res.set_content(result->body, result->get_header_value("Content-Type"));
  }

  int upstream_port_;
  httplib::Server server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  Fault fault_;
  bool refuse_acls_ = false;
  std::string delay_part_;
  std::chrono::milliseconds delay_{0};
  bool delay_at_end_ = false;
  std::vector<Seen> seen_;
  std::map<std::string, int> per_request_;
};

struct ApexRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs `apex ARGS` in cwd with only the given S3 variables set (no .env, no inherited AWS_*).
inline ApexRun run_apex(const std::string& args, const std::map<std::string, std::string>& env,
                        const std::filesystem::path& cwd, const std::string& stdin_redirect = "</dev/null") {
  std::string command = "cd " + quote_arg(cwd.string()) + " && env";
  for (const char* name :
       {"S3_BUCKET_NAME", "S3_PREFIX", "S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_REGION", "USE_S3_DATA", "DATA_DIR"})
    command += std::string(" -u ") + name;
  for (const auto& [name, value] : env) command += " " + name + "=" + quote_arg(value);
  command += " " + quote_arg(apex_binary().string()) + " " + args + " " + stdin_redirect + " 2>&1";
  ApexRun run;
  run.output = run_command(command, &run.code);
  return run;
}

inline std::map<std::string, std::string> s3rver_env(const std::string& endpoint) {
  return {{"S3_ENDPOINT_URL", endpoint},
          {"AWS_ACCESS_KEY_ID", "S3RVER"},
          {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
          {"S3_BUCKET_NAME", kUploadBucket}};
}

}  // namespace apex::test::upload
