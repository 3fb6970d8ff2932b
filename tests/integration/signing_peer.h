// An S3 server on loopback that checks SigV4 signatures for real, for the tests of signing
// and credentials. Two kinds, and the tests run against each:
// - "botocore": s3rver behind tests/tools/sigv4_verifying_proxy.py, which recomputes every
//   signature with Debian's python3-botocore. Runs everywhere, a bare Debian 12 included, and
//   says which access key signed each request.
// - "moto": moto_server in IAM auth mode, a second independent checker. Debian does not
//   package moto: where it is missing these cases skip, saying so.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/config.h"
#include "loopback_process.h"
#include "s3rver_process.h"
#include "test_paths.h"

namespace apex::test {

// The proxy's account for these tests; the secret has the characters that need care.
inline constexpr const char* kProxyAccessKey = "AKIAAPEXSIGV4PROXY01";
inline constexpr const char* kProxySecret = "apex/Proxy+Secret=Only-For-Loopback-0001";
// A second account whose requests must carry this session token, as temporary keys do.
inline constexpr const char* kProxyTokenKey = "ASIAAPEXSIGV4TOKEN01";
inline constexpr const char* kProxyTokenSecret = "apex/Token+Secret=Only-For-Loopback-0002";
inline constexpr const char* kProxySessionToken = "IQoJb3JpZ2luX2VjEApex//Session+Token==";

inline const char* kMotoMissing =
    "moto_server is not installed (Debian 12 does not package moto; `pip install 'moto[server]'` "
    "adds it): the same checks ran against s3rver behind the botocore verifying proxy, moto's "
    "second opinion on the signatures is not covered";

class SigningPeer {
 public:
  // kind: "botocore" or "moto". skip_reason() or error() say why it is not running.
  SigningPeer(const std::string& kind, const std::string& bucket) : kind_(kind), bucket_(bucket) {
    if (kind == "moto")
      start_moto();
    else
      start_proxy();
  }
  ~SigningPeer() {
    moto_.reset();
    if (!moto_dir_.empty()) std::filesystem::remove_all(moto_dir_);
  }

  const std::string& skip_reason() const { return skip_reason_; }
  const std::string& error() const { return error_; }
  std::string endpoint() const {
    return s3rver_ ? s3rver_->endpoint() : "http://127.0.0.1:" + std::to_string(port_);
  }
  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& secret_access_key() const { return secret_access_key_; }
  bool is_moto() const { return kind_ == "moto"; }

  // What the botocore proxy accepted and refused (see S3rverProcess::signatures); nullopt
  // for moto, which does not say.
  std::optional<nlohmann::json> signatures() const {
    if (!s3rver_) return std::nullopt;
    return s3rver_->signatures();
  }

  // Settings for this peer's account; moto's checker rejects correct signatures for '/'
  // inside query values (prefix=data/), so its tests use no prefix.
  S3Settings settings() const {
    S3Settings s;
    s.enabled = true;
    s.bucket = bucket_;
    s.access_key_id = access_key_id_;
    s.secret_access_key = secret_access_key_;
    s.prefix = is_moto() ? "" : "data/";
    s.endpoint_url = endpoint();
    return s;
  }

 private:
  void start_proxy() {
    s3rver_ = std::make_unique<S3rverProcess>(
        bucket_, "apex-signing-peer",
        std::vector<std::string>{
            std::string(kProxyAccessKey) + ":" + kProxySecret,
            std::string(kProxyTokenKey) + ":" + kProxyTokenSecret + ":" + kProxySessionToken});
    error_ = s3rver_->error();
    access_key_id_ = kProxyAccessKey;
    secret_access_key_ = kProxySecret;
  }

  void start_moto() {
    int code = -1;
    run_command("command -v moto_server >/dev/null 2>&1", &code);
    if (code != 0) {
      skip_reason_ = kMotoMissing;
      return;
    }
    moto_dir_ = std::filesystem::temp_directory_path() / ("apex-moto-" + std::to_string(::getpid()));
    std::filesystem::remove_all(moto_dir_);
    std::filesystem::create_directories(moto_dir_);
    port_ = free_loopback_port();
    moto_ = std::make_unique<LoopbackProcess>(
        std::vector<std::string>{"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port_)},
        std::map<std::string, std::string>{{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}}, moto_dir_ / "moto.log");
    std::string why;
    if (!moto_->started() || !moto_->wait_for_port(port_, std::chrono::seconds(30), &why)) {
      error_ = "moto_server is installed but did not start: " + why;
      return;
    }
    auto script = source_dir() / "tests" / "integration" / "moto_create_user.py";
    auto out = run_command("python3 " + shell_quote(script.string()) + " " + endpoint() + " " + bucket_ +
                               " 2>" + shell_quote((moto_dir_ / "setup.log").string()),
                           &code);
    auto keys = nlohmann::json::parse(out, nullptr, false);
    if (code != 0 || keys.is_discarded()) {
      error_ = "creating the IAM user in moto failed: " + out;
      return;
    }
    access_key_id_ = keys["access_key_id"];
    secret_access_key_ = keys["secret_access_key"];
  }

  std::string kind_, bucket_, skip_reason_, error_, access_key_id_, secret_access_key_;
  std::unique_ptr<S3rverProcess> s3rver_;
  std::unique_ptr<LoopbackProcess> moto_;
  std::filesystem::path moto_dir_;
  int port_ = 0;
};

}  // namespace apex::test
