#include "server/route_table.h"

#include <cstdio>

#include "core/json_text.h"

namespace apex {

int http_status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound:
      return 404;
    case ErrorKind::InvalidInput:
      return 400;
    case ErrorKind::AuthFailed:
    case ErrorKind::BucketMissing:
    case ErrorKind::Unavailable:
      return 503;
    // A data file the answer needs is broken or unreadable: retrying will not help (not 503).
    case ErrorKind::Corrupt:
    case ErrorKind::Unreadable:
      return 500;
  }
  return 500;
}

ApiError api_error(const Error& error) {
  return ApiError{http_status_for(error.kind), error.message};
}

ApiError api_error(int status, std::string detail) {
  return ApiError{status, std::move(detail)};
}

ApiError body_error(std::string_view field, std::string message, std::string type) {
  nlohmann::json loc = nlohmann::json::array({"body"});
  if (!field.empty()) loc.push_back(field);
  return ApiError{
      422, nlohmann::json::array({{{"loc", loc}, {"msg", std::move(message)}, {"type", std::move(type)}}})};
}

std::string strong_etag(std::string_view body) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return buf;
}

std::shared_ptr<const ResponseMemo::Body> serialize_body(const nlohmann::json& body) {
  auto out = std::make_shared<ResponseMemo::Body>();
  out->text = json_text(body);
  out->etag = strong_etag(out->text);
  return out;
}

const std::string& RouteRequest::path(std::string_view name) const {
  static const std::string empty;
  for (const auto& [key, value] : path_params_)
    if (key == name) return value;
  return empty;
}

std::optional<std::string> RouteRequest::query(std::string_view name) const {
  auto it = http_.params.find(std::string(name));
  if (it == http_.params.end()) return std::nullopt;
  return it->second;
}

const std::string& RouteRequest::body() const {
  return http_.body;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void RouteTable::add(Route route) {
  Compiled compiled;
  for (auto segment : split_path(route.path)) compiled.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
}

RouteTable::Match RouteTable::match(std::string_view method, std::string_view path) const {
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  const auto segments = split_path(path);
  Match out;
  int best_literals = -1;
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const auto& pattern = compiled_[r].segments;
    if (pattern.size() != segments.size()) continue;
    int literals = 0;
    bool matches = true;
    for (std::size_t i = 0; i < pattern.size() && matches; ++i) {
      if (is_parameter(pattern[i]))
        matches = !segments[i].empty();
      else if ((matches = pattern[i] == segments[i]))
        ++literals;
    }
    if (!matches) continue;
    if (routes_[r].method != wanted) {
      out.allowed_methods.push_back(routes_[r].method);
      continue;
    }
    if (literals <= best_literals) continue;
    best_literals = literals;
    out.route = &routes_[r];
    out.path_params.clear();
    for (std::size_t i = 0; i < pattern.size(); ++i)
      if (is_parameter(pattern[i]))
        out.path_params.emplace_back(pattern[i].substr(1, pattern[i].size() - 2), std::string(segments[i]));
  }
  if (out.route) out.allowed_methods.clear();
  return out;
}

}  // namespace apex
