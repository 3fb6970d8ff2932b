#include "server/cors_policy.h"

#include <algorithm>

#include "core/text.h"

namespace apex {

CorsPolicy::CorsPolicy(std::string_view cors_origins) {
  for (std::string_view rest = cors_origins; !rest.empty();) {
    const auto comma = rest.find(',');
    const std::string_view one = trim(rest.substr(0, comma));
    if (!one.empty()) origins_.emplace_back(one);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
}

void CorsPolicy::apply(const ServerRequest& request, ServerResponse& response) const {
  if (origins_.size() == 1 && origins_.front() == "*") {
    response.set_header("Access-Control-Allow-Origin", "*");
  } else if (!origins_.empty()) {
    response.headers.add("Vary", "Origin");  // beside any Vary the answer already has
    const std::string origin = request.get_header_value("Origin");
    if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end())
      response.set_header("Access-Control-Allow-Origin", origin);
  }
}

ServerResponse CorsPolicy::preflight(const ServerRequest& request) const {
  ServerResponse response;
  response.status = 204;
  apply(request, response);
  response.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
  response.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match");
  response.set_header("Access-Control-Max-Age", "600");
  return response;
}

}  // namespace apex
