// The web dashboard's built files (web/dist, made by Vite) served by `apex serve` from
// the same process and origin as the API.
//
// - `/` answers index.html only to clients whose Accept header prefers text/html
//   (browsers); everything else keeps the original service's JSON root.
// - Vite's hashed files under /assets/ are immutable: cached for a year. index.html and
//   the other files are revalidated on every load (ETag, no-cache).
// - Only files under the folder are served: `..`, encoded slashes or backslashes and NUL
//   are refused with 400 before the file system is asked anything.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/http_message.h"

namespace apex {

// Where the dashboard was looked for and, when found, the folder.
struct DashboardLocation {
  std::optional<std::filesystem::path> dir;  // holds index.html
  std::string looked;                        // the candidates tried, for the start-up log
};

// The folder to serve: `configured` (--web-dir or WEB_DIR) when given, else web/dist in
// the working directory, else <folder of the apex executable>/../web/dist.
DashboardLocation locate_dashboard(const std::optional<std::filesystem::path>& configured);

// The serve command resolves --web-dir / WEB_DIR before the server is built; servers
// built without it (tests) use the defaults of locate_dashboard.
void set_dashboard_dir_option(std::optional<std::filesystem::path> configured);
const std::optional<std::filesystem::path>& dashboard_dir_option();

// True when the client ranks text/html above application/json (q-values, wildcards).
// A tie (curl's `*/*`, no header) is JSON: scripts written for the original keep working.
bool prefers_html(std::string_view accept);

// Content-Type for a file name by its extension.
std::string content_type_for(std::string_view file_name);

// Why a request path may not name a file under the dashboard folder ("" when it may).
// `target` is the raw request target, checked for encoded separators and NUL.
std::string unsafe_path_reason(std::string_view path, std::string_view target);

class StaticAssets {
 public:
  explicit StaticAssets(std::optional<std::filesystem::path> dir) : dir_(std::move(dir)) {}

  bool available() const { return dir_.has_value(); }
  const std::optional<std::filesystem::path>& dir() const { return dir_; }

  // Answers GET/HEAD requests that belong to the dashboard: `/` for browsers, and the
  // built files. Returns false (res untouched) for everything else, API paths included.
  bool handle(const ServerRequest& req, ServerResponse& res) const;

 private:
  std::optional<std::filesystem::path> dir_;
};

}  // namespace apex
