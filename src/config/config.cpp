#include "config/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

extern char** environ;

namespace apex {
namespace {

// A guessable token protects nothing; 16 characters is the shortest a random hex or
// base64 token worth having is.
constexpr std::size_t kMinApiTokenLength = 16;

std::string trim(std::string_view s) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::unexpected<Error> bad_variable(std::string_view name, std::string_view why) {
  return make_error(ErrorKind::InvalidInput,
                    "configuration variable " + std::string(name) + " " + std::string(why));
}

Result<bool> parse_bool(std::string_view name, const std::string& value) {
  std::string v = lower(trim(value));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off" || v.empty()) return false;
  return bad_variable(name, "must be true or false, got '" + value + "'");
}

Result<std::uint64_t> parse_unsigned(std::string_view name, const std::string& value, std::uint64_t min,
                                     std::uint64_t max) {
  std::string v = trim(value);
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || out < min || out > max)
    return bad_variable(name, "must be a whole number from " + std::to_string(min) + " to " +
                                  std::to_string(max) + ", got '" + value + "'");
  return out;
}

bool valid_bucket_name(const std::string& b) {
  // S3 bucket naming rules: 3-63 chars, lower-case letters, digits, '.', '-'.
  if (b.size() < 3 || b.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(b.front())) ||
      !std::isalnum(static_cast<unsigned char>(b.back())))
    return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}

// The part of an endpoint URL before the host may hold "user:password@". The password can
// itself contain '/', '?' or '@', so any '@' after the scheme counts as userinfo, and no
// part of such a URL is put in a message.
bool has_userinfo(std::string_view url) {
  const auto scheme_end = url.find("://");
  return url.find('@', scheme_end == std::string_view::npos ? 0 : scheme_end + 3) != std::string_view::npos;
}

bool valid_region(const std::string& r) {
  return !r.empty() && std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The value of a .env line, after '=' and trimmed. A quoted value is what is inside the
// quotes, also when a comment follows (`DATA_DIR="/x" # where` is /x, as docker compose and
// python-dotenv read it; the quotes were kept). Otherwise " #" starts a comment.
std::string dotenv_value(const std::string& value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
    const auto close = value.find(value.front(), 1);
    if (close != std::string::npos) {
      const std::string rest = trim(std::string_view(value).substr(close + 1));
      if (rest.empty() || rest.front() == '#') return value.substr(1, close - 1);
    }
    // A quote inside (`"a\"b"`): the outer pair, as before.
    if (value.back() == value.front()) return value.substr(1, value.size() - 2);
  }
  if (auto hash = value.find(" #"); hash != std::string::npos) return trim(value.substr(0, hash));
  return value;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text, std::string_view file_name) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    // Editors on Windows save a UTF-8 byte order mark at the start of the file.
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.starts_with("export ")) t = trim(t.substr(7));
    auto eq = t.find('=');
    std::string key = eq == std::string::npos ? "" : trim(t.substr(0, eq));
    bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!key_ok)
      return make_error(ErrorKind::InvalidInput, std::string(file_name) + " line " +
                                                     std::to_string(line_number) + ": expected KEY=VALUE");
    out[key] = dotenv_value(trim(t.substr(eq + 1)));
  }
  return out;
}

Result<Environment> Environment::load(const std::filesystem::path& dotenv_path) {
  std::map<std::string, std::string> values;
  std::error_code ec;
  if (std::filesystem::is_regular_file(dotenv_path, ec)) {
    std::ifstream file(dotenv_path, std::ios::binary);
    std::stringstream buffer;
    buffer << file.rdbuf();
    auto parsed = parse_dotenv(buffer.str(), dotenv_path.string());
    if (!parsed) return std::unexpected(parsed.error());
    values = std::move(*parsed);
  }
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    values[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return Environment(std::move(values));
}

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> bucket_name_problem(const std::string& name) {
  if (valid_bucket_name(name)) return std::nullopt;
  return "is not a valid bucket name (3-63 lower-case letters, digits, '.', '-'): '" + name + "'";
}

std::optional<std::string> s3_prefix_problem(std::string_view prefix) {
  const std::string quoted = "'" + std::string(prefix) + "'";
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto c = static_cast<unsigned char>(prefix[i]);
    if (c < 0x20 || c == 0x7f)
      return "holds a control character at character " + std::to_string(i + 1) +
             ": a prefix is a path like data/ (printable characters only)";
  }
  if (prefix.starts_with('/'))
    return "must not start with '/': S3 keys have no leading slash; write data/, not /data/, or leave it "
           "empty for the bucket's root (got " +
           quoted + ")";
  std::string_view rest = prefix;
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view segment = rest.substr(start, end - start);
    if (segment == "." || segment == "..")
      return "must not hold a '.' or '..' segment: S3 keeps them as literal names, so they never mean this "
             "or the parent folder (got " +
             quoted + ")";
    if (segment.empty()) return "must not hold an empty segment ('//') (got " + quoted + ")";
    start = end + 1;
  }
  return std::nullopt;
}

Result<Config> load_config(const Environment& env) {
  Config config;
  if (auto v = env.get("DATA_DIR"); v && !trim(*v).empty()) config.data_dir = trim(*v);
  if (auto v = env.get("HOST"); v && !trim(*v).empty()) config.host = trim(*v);
  if (auto v = env.get("PORT")) {
    // 0 asks for any free port, as --port 0 does; `apex serve` logs the one it got.
    auto port = parse_unsigned("PORT", *v, 0, 65535);
    if (!port) return std::unexpected(port.error());
    config.port = static_cast<std::uint16_t>(*port);
  }
  if (auto v = env.get("CACHE_MAX_MB")) {
    auto mb = parse_unsigned("CACHE_MAX_MB", *v, 1, 1 << 20);
    if (!mb) return std::unexpected(mb.error());
    config.cache_max_mb = static_cast<std::size_t>(*mb);
  }
  if (auto v = env.get("MAX_CONNECTIONS_PER_CLIENT")) {
    auto limit = parse_unsigned("MAX_CONNECTIONS_PER_CLIENT", *v, 0, 1'000'000);
    if (!limit) return std::unexpected(limit.error());
    config.max_connections_per_client = static_cast<std::size_t>(*limit);
  }
  if (auto v = env.get("CORS_ORIGINS")) config.cors_origins = trim(*v);
  if (auto v = env.get("API_TOKEN")) {
    // The token travels in a header: anything outside visible ASCII could not be sent back
    // by a client, so it is refused here rather than locking every client out. The value
    // itself is never put in a message.
    std::string token = trim(*v);
    bool printable = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 127; });
    if (!printable)
      return bad_variable("API_TOKEN",
                          "must be visible ASCII characters without spaces (its value is not shown)");
    if (!token.empty() && token.size() < kMinApiTokenLength)
      return bad_variable("API_TOKEN", "is too short: use at least " + std::to_string(kMinApiTokenLength) +
                                           " characters, e.g. the output of `openssl rand -hex 32`");
    config.api_token = std::move(token);
  }
  if (auto v = env.get("WEB_DIR"); v && !trim(*v).empty()) config.web_dir = trim(*v);

  S3Settings& s3 = config.s3;
  if (auto v = env.get("USE_S3_DATA")) {
    auto enabled = parse_bool("USE_S3_DATA", *v);
    if (!enabled) return std::unexpected(enabled.error());
    s3.enabled = *enabled;
  }
  if (auto v = env.get("S3_BUCKET_NAME"); v && !trim(*v).empty()) s3.bucket = trim(*v);
  if (auto problem = bucket_name_problem(s3.bucket)) return bad_variable("S3_BUCKET_NAME", *problem);
  if (auto v = env.get("AWS_REGION"); v && !trim(*v).empty())
    s3.region = trim(*v);
  else if (auto d = env.get("AWS_DEFAULT_REGION"); d && !trim(*d).empty())
    s3.region = trim(*d);
  if (!valid_region(s3.region))
    return bad_variable("AWS_REGION", "is not a region name like us-east-1: '" + s3.region + "'");
  if (auto v = env.get("AWS_ACCESS_KEY_ID")) s3.access_key_id = trim(*v);
  if (auto v = env.get("AWS_SECRET_ACCESS_KEY")) s3.secret_access_key = trim(*v);
  if (auto v = env.get("AWS_SESSION_TOKEN")) s3.session_token = trim(*v);
  // A credential pasted with a line break inside is sent as a broken header, which S3
  // answers with a bare HTTP 400 naming nothing; say which variable, never its value.
  for (auto [name, value] :
       {std::pair<const char*, const std::string*>{"AWS_ACCESS_KEY_ID", &s3.access_key_id},
        {"AWS_SECRET_ACCESS_KEY", &s3.secret_access_key},
        {"AWS_SESSION_TOKEN", &s3.session_token}}) {
    const auto bad =
        std::find_if(value->begin(), value->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    if (bad != value->end())
      return bad_variable(name, "holds a control character (a line break?) at character " +
                                    std::to_string(bad - value->begin() + 1) + ": paste the value again");
  }
  if (s3.access_key_id.empty() != s3.secret_access_key.empty())
    return bad_variable(s3.access_key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        "is missing: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither for "
                        "anonymous access to a public bucket");
  if (auto v = env.get("S3_PREFIX")) {
    std::string prefix = trim(*v);
    if (auto problem = s3_prefix_problem(prefix)) return bad_variable("S3_PREFIX", *problem);
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    s3.prefix = prefix;
  }
  if (auto v = env.get("S3_ENDPOINT_URL"); v && !trim(*v).empty()) {
    std::string url = trim(*v);
    // Credentials in the URL would be echoed by every message naming the endpoint (and
    // S3 needs them signed into each request, not sent as HTTP basic auth).
    if (has_userinfo(url))
      return bad_variable("S3_ENDPOINT_URL",
                          "must not hold a user name or password ('user:password@' before the host): put "
                          "the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the value is not "
                          "shown: it may hold a password)");
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      return bad_variable("S3_ENDPOINT_URL", "must start with http:// or https://, got '" + url + "'");
    while (url.back() == '/') url.pop_back();
    s3.endpoint_url = url;
  }
  return config;
}

}  // namespace apex
