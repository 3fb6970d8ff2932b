#include "server/route_params.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace apex {

namespace {

constexpr std::size_t kMaxListedChannels = 16;
constexpr std::size_t kMaxChannelNameLength = 64;

std::string query_name(std::string_view name) {
  return "query parameter '" + std::string(name) + "'";
}

bool is_channel_name(std::string_view name) {
  return name.size() <= kMaxChannelNameLength && std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

}  // namespace

std::expected<int, ApiError> whole_number(std::string_view text, std::string_view what, int min, int max) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && n >= min && n <= max)
    return n;
  const std::string range = max == kNoUpperBound
                                ? ">= " + std::to_string(min)
                                : "from " + std::to_string(min) + " to " + std::to_string(max);
  return std::unexpected(api_error(
      400, std::string(what) + " must be a whole number " + range + ", got '" + std::string(text) + "'"));
}

std::expected<std::optional<int>, ApiError> int_query(const RouteRequest& req, std::string_view name, int min,
                                                      int max) {
  auto text = req.query(name);  // given at most once: the server checks
  if (!text) return std::nullopt;
  auto n = whole_number(*text, query_name(name), min, max);
  if (!n) return std::unexpected(n.error());
  return *n;
}

std::expected<int, ApiError> lap_number_path(const RouteRequest& req) {
  return whole_number(req.path("lap_number"), "lap_number", 0, kMaxPathLapNumber);
}

std::expected<std::optional<std::size_t>, ApiError> choice_query(
    const RouteRequest& req, std::string_view name, std::initializer_list<std::string_view> words) {
  auto text = req.query(name);
  if (!text) return std::nullopt;
  std::string listed;
  std::size_t index = 0;
  for (std::string_view word : words) {
    if (*text == word) return index;
    listed += (index++ == 0 ? "" : " or ") + std::string(word);
  }
  return std::unexpected(api_error(400, query_name(name) + " must be " + listed + ", got '" + *text + "'"));
}

std::expected<std::vector<std::string>, ApiError> channel_list_query(
    const RouteRequest& req, const std::vector<std::string_view>& defaults) {
  std::vector<std::string> out;
  auto text = req.query("channels");
  if (!text) {
    for (auto c : defaults) out.emplace_back(c);
    return out;
  }
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name.empty()) continue;
    if (!is_channel_name(name))
      return std::unexpected(api_error(400, "query parameter 'channels': '" +
                                                std::string(name.substr(0, 80)) +
                                                "' is not a channel name (letters, digits, _ - . up to 64)"));
    out.emplace_back(name);
  }
  if (out.empty() || out.size() > kMaxListedChannels)
    return std::unexpected(api_error(400, "query parameter 'channels' needs 1 to 16 comma-separated names"));
  return out;
}

std::expected<const DriverSummary*, ApiError> driver_query(const RouteRequest& req, std::string_view name,
                                                           const LoadedSession& session, DriverList list) {
  auto id = req.query(name);
  if (!id) return nullptr;
  const DriverSummary* driver = session.analysis.find_driver(*id);
  if (!driver) return std::unexpected(unknown_driver(name, *id, session, list));
  return driver;
}

}  // namespace apex
