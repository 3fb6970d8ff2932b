// s3rver (npm, tests/node_modules) on a free loopback port with one bucket, for tests that
// need a real S3 protocol peer, plus boto3 (the machine's python3) as an independent
// client to cross-check what S3Store writes and reads. Header-only so that the property
// tests can use it too.
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
  // Starts s3rver with `bucket` configured; error() says why when it could not.
  S3rverProcess(const std::string& bucket, const std::string& name) : bucket_(bucket) {
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
    if (!server_->wait_for_port(port_, std::chrono::seconds(20), &why))
      error_ = "s3rver did not start: " + why;
  }
  ~S3rverProcess() {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  const std::string& error() const { return error_; }
  int port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
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
  std::string bucket_;
  std::string error_;
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<LoopbackProcess> server_;
  mutable int counter_ = 0;
};

}  // namespace apex::test
