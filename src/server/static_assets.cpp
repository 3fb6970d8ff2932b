#include "server/static_assets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/text.h"
#include "server/http/gzip.h"
#include "server/route_table.h"
#include "storage/local_store.h"

namespace apex {

namespace {

namespace fs = std::filesystem;

std::optional<fs::path>& configured_dir() {
  static std::optional<fs::path> dir;
  return dir;
}

bool has_index(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "index.html", ec);
}

// A q-value as RFC 9110 writes it: 0 to 1 with at most three decimals. Parsed by hand, not
// with std::stod, so the global locale cannot change the decimal point and "nan", "inf",
// "2" or "0.5abc" cannot rank a range above a well-formed one; those rank it last (0).
double parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return 0.0;
  const bool one = text[0] == '1';
  if (text.size() == 1) return one ? 1.0 : 0.0;
  if (text[1] != '.' || text.size() > 5) return 0.0;
  double value = one ? 1.0 : 0.0;
  double scale = 0.1;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9' || (one && c != '0')) return 0.0;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

// The q-value the Accept header gives a media type: its most specific matching range
// (type/subtype over type/* over */*), 0 when none matches.
double accept_quality(std::string_view accept, std::string_view type, std::string_view subtype) {
  int best_specificity = -1;
  double quality = 0.0;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    auto semicolon = item.find(';');
    std::string range = lower(trim(item.substr(0, semicolon)));
    double q = 1.0;
    for (std::string_view params = semicolon == std::string_view::npos ? "" : item.substr(semicolon + 1);
         !params.empty();) {
      auto next = params.find(';');
      std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (param.starts_with("q=") || param.starts_with("Q=")) q = parse_qvalue(param.substr(2));
    }
    auto slash = range.find('/');
    if (slash == std::string::npos) continue;
    std::string_view rtype = std::string_view(range).substr(0, slash);
    std::string_view rsub = std::string_view(range).substr(slash + 1);
    int specificity = -1;
    if (rtype == type && rsub == subtype)
      specificity = 2;
    else if (rtype == type && rsub == "*")
      specificity = 1;
    else if (rtype == "*" && rsub == "*")
      specificity = 0;
    if (specificity > best_specificity) {
      best_specificity = specificity;
      quality = q;
    }
  }
  return quality;
}

// The file at `inside` (relative) within the dashboard folder, read as the data folder's
// files are (LocalStore): opened so that no link can lead out of the folder, even one swapped
// in after the checks, and only if it is a regular file.
std::optional<std::string> read_file(const fs::path& folder, const fs::path& inside) {
  auto bytes = LocalStore(folder).read_all(inside.generic_string());
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

void send_detail(ServerResponse& res, int status, const std::string& detail) {
  res.status = status;
  res.set_content(json_text(nlohmann::json{{"detail", detail}}), "application/json");
}

// Sends a file with its ETag; `immutable` for names that change when the content does.
void send_file(const ServerRequest& req, ServerResponse& res, const fs::path& folder, const fs::path& inside,
               bool immutable) {
  auto body = read_file(folder, inside);
  if (!body) return send_detail(res, 404, "dashboard file not found: " + req.path);
  std::string etag = strong_etag(*body);
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set_header("Vary", "Accept, Accept-Encoding");  // `/` depends on Accept; text is gzipped
  const std::string match = req.get_header_value("If-None-Match");
  if (match == etag || match == "*" || match == "W/" + etag || match == gzip_etag(etag)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::move(*body), content_type_for(inside.filename().string()));
}

}  // namespace

DashboardLocation locate_dashboard(const std::optional<fs::path>& configured) {
  DashboardLocation location;
  std::vector<fs::path> candidates;
  if (configured) {
    candidates.push_back(*configured);
  } else {
    candidates.emplace_back("web/dist");
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "web" / "dist");
  }
  for (const auto& candidate : candidates) {
    location.looked += (location.looked.empty() ? "" : ", ") + candidate.string();
    if (has_index(candidate)) {
      std::error_code ec;
      auto absolute = fs::weakly_canonical(candidate, ec);
      location.dir = ec ? candidate : absolute;
      break;
    }
  }
  return location;
}

void set_dashboard_dir_option(std::optional<fs::path> configured) {
  configured_dir() = std::move(configured);
}

const std::optional<fs::path>& dashboard_dir_option() {
  return configured_dir();
}

bool prefers_html(std::string_view accept) {
  if (accept.empty()) return false;
  return accept_quality(accept, "text", "html") > accept_quality(accept, "application", "json");
}

std::string content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  }};
  std::string name = lower(file_name);
  for (const auto& [extension, type] : kTypes)
    if (name.ends_with(extension)) return std::string(type);
  return "application/octet-stream";
}

std::string unsafe_path_reason(std::string_view path, std::string_view target) {
  std::string raw = lower(target.substr(0, target.find('?')));
  // `path` is already decoded; an encoded separator or NUL in the raw target
  // would otherwise reach the file system as a real one.
  for (std::string_view encoded : {"%2f", "%5c", "%00", "%2e"})
    if (raw.find(encoded) != std::string::npos) return "encoded '" + std::string(encoded) + "' in the path";
  if (path.find('\0') != std::string_view::npos) return "NUL in the path";
  if (path.find('\\') != std::string_view::npos) return "backslash in the path";
  for (auto segment : split_path(path))
    if (segment == ".." || segment == ".") {
      // Built by append: g++ 12 at -O3 warns falsely (-Wstringop-overflow) on "'" + string,
      // which stops a Release build with APEX_WERROR.
      std::string reason = "'";
      reason.append(segment).append("' segment in the path");
      return reason;
    }
  return {};
}

bool StaticAssets::handle(const ServerRequest& req, ServerResponse& res) const {
  if (!dir_ || (req.method != "GET" && req.method != "HEAD")) return false;
  const std::string& path = req.path;
  if (path == "/") {
    if (!prefers_html(req.get_header_value("Accept"))) return false;
    send_file(req, res, *dir_, "index.html", false);
    return true;
  }
  // The API, its documents and anything without a file name stay with the route table.
  const bool asset = path.starts_with("/assets/");
  auto last_slash = path.rfind('/');
  const bool top_level_file =
      last_slash == 0 && path.find('.', 1) != std::string::npos && path != "/openapi.json";
  if (!asset && !top_level_file) return false;
  if (auto reason = unsafe_path_reason(path, req.target); !reason.empty()) {
    send_detail(res, 400, "refused dashboard path: " + reason);
    return true;
  }
  fs::path file = *dir_ / fs::path(path.substr(1));
  std::error_code ec;
  // A symbolic link in the folder may lead anywhere (/etc/passwd): only files inside it are
  // the dashboard's, and one that cannot be resolved is none.
  if (!fs::is_regular_file(file, ec) || leads_out_of(*dir_, file, true)) {
    if (!asset) return false;  // /favicon.ico and friends: the route table's JSON 404
    send_detail(res, 404, "dashboard file not found: " + path + " (rebuild with `make build`)");
    return true;
  }
  // Vite names every file under assets/ by its content hash: safe to cache for good.
  send_file(req, res, *dir_, path.substr(1), asset);
  return true;
}

}  // namespace apex
