// Configuration from environment variables and an optional .env file (the
// environment wins). Everything is parsed and validated at start-up so a bad value
// stops the program with a message naming the variable, not at first request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/error.h"

namespace apex {

struct S3Settings {
  bool enabled = false;  // USE_S3_DATA
  std::string bucket = "apex-racing-data";
  std::string region = "us-east-1";
  std::string access_key_id;      // empty: anonymous access
  std::string secret_access_key;  // never printed
  std::string session_token;      // never printed
  std::string prefix = "data/";
  std::string endpoint_url;  // empty: AWS; else an S3-compatible server, path-style
};

struct Config {
  std::filesystem::path data_dir = "data";
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: any free port (the server logs the one it listens on)
  std::size_t cache_max_mb = 1024;
  // Open connections one client address may hold; 0: no limit (behind a proxy, where every
  // connection comes from the proxy's address).
  std::size_t max_connections_per_client = 2'000;
  std::string cors_origins = "*";
  // API_TOKEN: when set, every /api/... request needs "Authorization: Bearer <token>".
  // A secret like the AWS ones: never printed.
  std::string api_token;
  // WEB_DIR: the built dashboard (web/dist). Unset: `apex serve` looks in the usual places.
  std::optional<std::filesystem::path> web_dir;
  S3Settings s3;
};

// Variables by name: the process environment over the .env file's entries.
class Environment {
 public:
  // Reads the process environment and, when present, dotenv_path.
  static Result<Environment> load(const std::filesystem::path& dotenv_path = ".env");
  static Environment from_map(std::map<std::string, std::string> values) {
    return Environment(std::move(values));
  }

  std::optional<std::string> get(const std::string& name) const;

 private:
  explicit Environment(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  std::map<std::string, std::string> values_;
};

// Parses KEY=VALUE lines (comments, blank lines, `export `, single or double quotes).
Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text, std::string_view file_name);

Result<Config> load_config(const Environment& env);

// nullopt when name follows S3's bucket naming rules, else what is wrong with it ("is not a
// valid bucket name (...): 'name'"), for a message that first names where it came from
// (S3_BUCKET_NAME, --bucket): one rule and one wording for every way a bucket is given.
std::optional<std::string> bucket_name_problem(const std::string& name);

// nullopt when prefix (trimmed, before the trailing '/' is added) can be the data root's
// key prefix, else what is wrong with it, for a message that first names where it came from
// (S3_PREFIX, --prefix). Refused: a leading '/', a '.' or '..' segment, an empty segment
// ('a//b'), control characters. Such a prefix is a typo or an escape: S3 keeps '..' as two
// dots, so `--prefix ../` would not mean a parent, and a '/' would start an empty segment.
// Empty means the bucket's root, which is allowed here; upload --delete asks for it by name.
std::optional<std::string> s3_prefix_problem(std::string_view prefix);

}  // namespace apex
