// CORS_ORIGINS as the server applies it: "*" (the original's default), one origin, or a
// comma-separated list from which the request's Origin is echoed when it is listed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_message.h"

namespace apex {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::string_view cors_origins);
  // Adds Access-Control-Allow-Origin (and Vary: Origin for a list) to a response.
  void apply(const ServerRequest& request, ServerResponse& response) const;
  // The 204 answer to a preflight (OPTIONS) request.
  ServerResponse preflight(const ServerRequest& request) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace apex
