// s3rver (npm, tests/node_modules) on a free loopback port with one bucket, for tests that
// need a real S3 protocol peer, behind tests/tools/sigv4_verifying_proxy.py: s3rver accepts
// any signature, the proxy recomputes every request's SigV4 signature with botocore (an
// independent signer) and refuses a mismatch as S3 does. Plus boto3 (the machine's python3)
// as an independent client to cross-check what S3Store writes and reads. Header-only so that
// the property tests can use it too.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "loopback_process.h"
#include "test_paths.h"

namespace apex::test {

// s3rver's built-in account: access key and secret.
inline constexpr const char* kS3rverKey = "S3RVER";

// A single-quoted shell word, for run_command.
inline std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

class S3rverProcess {
 public:
  // Starts s3rver with `bucket` configured, and the verifying proxy that accepts s3rver's own
  // key and `extra_keys` ("ACCESS_KEY:SECRET[:SESSION_TOKEN]"); error() says why when either
  // could not start.
  S3rverProcess(const std::string& bucket, const std::string& name, std::vector<std::string> extra_keys = {})
      : bucket_(bucket) {
    namespace fs = std::filesystem;
    auto script = source_dir() / "tests" / "node_modules" / "s3rver" / "bin" / "s3rver.js";
    if (!fs::exists(script)) {
      error_ = script.string() + " is missing: run `make node-deps` (npm ci in tests/) first";
      return;
    }
    dir_ = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = free_loopback_port();
    // Without the legacy provider, node 17+ fails every truncated (paginated) listing.
    server_ = std::make_unique<LoopbackProcess>(
        std::vector<std::string>{"node", "--openssl-legacy-provider", script.string(), "-d",
                                 (dir_ / "data").string(), "-a", "127.0.0.1", "-p", std::to_string(port_),
                                 "--silent", "--configure-bucket", bucket},
        std::map<std::string, std::string>{}, dir_ / "s3rver.log");
    if (!server_->started()) {
      error_ = "cannot run node: install Node.js (scripts/install-deps.sh) and run `make node-deps`";
      return;
    }
    std::string why;
    if (!server_->wait_for_port(port_, std::chrono::seconds(20), &why)) {
      error_ = "s3rver did not start: " + why;
      return;
    }
    start_verifying_proxy(std::move(extra_keys));
  }
  ~S3rverProcess() {
    proxy_.reset();
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  const std::string& error() const { return error_; }
  // s3rver itself, which checks no signature: for a proxy of a test's own in front of it.
  int s3rver_port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  // The verifying proxy: where every client under test points.
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port_); }

  // What the verifying proxy saw: {"accepted": {access key: requests}, "anonymous": n,
  // "refused": [{"code", "key", "method", "target"}]}, so a test can say which key signed.
  nlohmann::json signatures() const {
    int code = 0;
    auto answer = run_command("curl -s " + shell_quote(endpoint() + "/__sigv4__"), &code);
    return nlohmann::json::parse(answer, nullptr, false);
  }
  const std::filesystem::path& dir() const { return dir_; }

  S3Settings settings(const std::string& prefix) const {
    S3Settings s;
    s.enabled = true;
    s.bucket = bucket_;
    s.region = "us-east-1";
    s.access_key_id = kS3rverKey;
    s.secret_access_key = kS3rverKey;
    s.prefix = prefix;
    s.endpoint_url = endpoint();
    return s;
  }

  // The environment that points `apex` at this bucket.
  std::vector<std::string> apex_env(const std::string& prefix = "data/") const {
    return {"USE_S3_DATA=true",
            "S3_ENDPOINT_URL=" + endpoint(),
            "S3_BUCKET_NAME=" + bucket_,
            "S3_PREFIX=" + prefix,
            "AWS_REGION=us-east-1",
            std::string("AWS_ACCESS_KEY_ID=") + kS3rverKey,
            std::string("AWS_SECRET_ACCESS_KEY=") + kS3rverKey};
  }

  // Runs tests/integration/boto3_objects.py over a list of operations, each
  // {"op": "get"|"put"|"create_bucket", "key": full key, "file": local path}; returns its
  // output ("ok" on success, else the error).
  std::string boto3(const nlohmann::json& operations) const {
    auto manifest = dir_ / ("boto3-" + std::to_string(counter_++) + ".json");
    std::ofstream(manifest) << operations.dump();
    auto script = source_dir() / "tests" / "integration" / "boto3_objects.py";
    int code = 0;
    std::string out =
        run_command("python3 " + shell_quote(script.string()) + " " + shell_quote(endpoint()) + " " +
                        shell_quote(bucket_) + " " + shell_quote(manifest.string()) + " 2>&1",
                    &code);
    std::filesystem::remove(manifest);
    return code == 0 ? out : "exit " + std::to_string(code) + ": " + out;
  }

 private:
  void start_verifying_proxy(std::vector<std::string> extra_keys) {
    proxy_port_ = free_loopback_port();
    std::vector<std::string> argv{
        "python3",    (source_dir() / "tests" / "tools" / "sigv4_verifying_proxy.py").string(),
        "--listen",   "127.0.0.1:" + std::to_string(proxy_port_),
        "--upstream", "127.0.0.1:" + std::to_string(port_),
        "--key",      std::string(kS3rverKey) + ":" + kS3rverKey};
    for (auto& key : extra_keys) argv.insert(argv.end(), {"--key", std::move(key)});
    proxy_ = std::make_unique<LoopbackProcess>(std::move(argv), std::map<std::string, std::string>{},
                                               dir_ / "sigv4-proxy.log");
    std::string why;
    if (!proxy_->started() || !proxy_->wait_for_port(proxy_port_, std::chrono::seconds(20), &why))
      error_ =
          "the SigV4 verifying proxy did not start (it needs python3 with botocore: "
          "scripts/install-deps.sh installs python3-botocore): " +
          why;
  }

  std::string bucket_;
  std::string error_;
  std::filesystem::path dir_;
  int port_ = 0;
  int proxy_port_ = 0;
  std::unique_ptr<LoopbackProcess> server_;
  std::unique_ptr<LoopbackProcess> proxy_;
  mutable int counter_ = 0;
};

}  // namespace apex::test
