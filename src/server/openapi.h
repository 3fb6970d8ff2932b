// The OpenAPI 3.1 document of the API, generated from the route table (paths,
// parameters, bodies, responses, schemas), and the /docs page that renders it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "server/route_table.h"

namespace apex {

struct OpenApiInfo {
  std::string title = "APEX: Toyota GR Cup race data API";
  std::string version = APEX_VERSION;  // the CMake project version, as `apex --version` says
  std::string description;
};

nlohmann::json openapi_document(const RouteTable& table, const OpenApiInfo& info = {});

// A self-contained HTML page (no external scripts or styles) that fetches
// /openapi.json and renders every operation, with a form to try GET requests.
const std::string& docs_page_html();

}  // namespace apex
