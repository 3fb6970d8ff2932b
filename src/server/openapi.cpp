#include "server/openapi.h"

#include <cctype>
#include <map>

#include "server/api_schemas.h"

namespace apex {

using nlohmann::json;

namespace {

struct PathParamDoc {
  json schema;
  std::string description;
  json example;
};

// Every path parameter the routes use; a route with another name fails loudly below.
const std::map<std::string, PathParamDoc>& path_param_docs() {
  static const std::map<std::string, PathParamDoc> docs = {
      {"track",
       {schema::string(), "Track id as listed by /api/analytics/tracks: the data folder's name",
        "barber-motorsports-park"}},
      {"session", {schema::string(), "Session: R1, r1, Race 1 or 1", "R1"}},
      {"driver",
       {schema::string(),
        "A driver_id from /drivers (the ECU vehicle_id, e.g. GR86-022-13), a car number (13) or car-13",
        "GR86-022-13"}},
      {"lap_number", {json{{"type", "integer"}, {"minimum", 0}}, "Lap number", 8}},
  };
  return docs;
}

std::string operation_id(const Route& route) {
  std::string id;
  for (char c : route.method + route.path) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    else if (!id.empty() && id.back() != '_')
      id.push_back('_');
  }
  while (!id.empty() && id.back() == '_') id.pop_back();
  return id;
}

json error_response(std::string description, std::string_view schema_name = "Error") {
  return json{{"description", std::move(description)},
              {"content", {{"application/json", {{"schema", schema::ref(schema_name)}}}}}};
}

json operation(const Route& route) {
  json op{
      {"operationId", operation_id(route)}, {"summary", route.summary}, {"tags", json::array({route.tag})}};
  if (!route.description.empty()) op["description"] = route.description;

  json parameters = json::array();
  bool has_path_params = false;
  for (auto segment : split_path(route.path)) {
    if (segment.size() < 3 || segment.front() != '{') continue;
    std::string name(segment.substr(1, segment.size() - 2));
    const auto& docs = path_param_docs();
    auto doc = docs.find(name);
    if (doc == docs.end())
      throw std::logic_error("undocumented path parameter {" + name + "} in " + route.path);
    has_path_params = true;
    parameters.push_back(json{{"name", name},
                              {"in", "path"},
                              {"required", true},
                              {"description", doc->second.description},
                              {"schema", doc->second.schema},
                              {"example", route.path_examples.contains(name) ? route.path_examples.at(name)
                                                                             : doc->second.example}});
  }
  for (const auto& q : route.query) {
    json p{{"name", q.name},
           {"in", "query"},
           {"required", false},
           {"description", q.description},
           {"schema", q.schema}};
    if (!q.example.is_null()) p["example"] = q.example;
    parameters.push_back(std::move(p));
  }
  if (!parameters.empty()) op["parameters"] = std::move(parameters);

  if (!route.request_body.is_null()) {
    json media{{"schema", route.request_body}};
    if (!route.request_body_example.is_null()) media["example"] = route.request_body_example;
    op["requestBody"] = json{{"required", true}, {"content", {{"application/json", media}}}};
  }

  json responses = json::object();
  for (const auto& r : route.responses) {
    json response{{"description", r.description}};
    if (!r.schema.is_null()) response["content"] = json{{r.content_type, {{"schema", r.schema}}}};
    responses[std::to_string(r.status)] = std::move(response);
  }
  auto add = [&](int status, json response) {
    if (!responses.contains(std::to_string(status))) responses[std::to_string(status)] = std::move(response);
  };
  add(400, error_response("a bad parameter value, or a query parameter this route does not take"));
  if (has_path_params)
    add(404, error_response("unknown track, session or driver, or no such data in the session"));
  if (!route.request_body.is_null())
    add(422, error_response("the body is not valid: each problem names its field", "ValidationError"));
  if (route.path.starts_with("/api/"))
    add(503, error_response("the data source (folder or bucket) cannot be read"));
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

json openapi_document(const RouteTable& table, const OpenApiInfo& info) {
  json paths = json::object();
  for (const auto& route : table.routes()) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[route.path][method] = operation(route);
  }
  json doc{{"openapi", "3.1.0"},
           {"info", {{"title", info.title}, {"version", info.version}}},
           {"servers", json::array({{{"url", "/"}}})},
           {"tags",
            json::array(
                {{{"name", "analytics"}, {"description", "lap analytics per track and session"}},
                 {{"name", "strategy"}, {"description", "consistency, degradation, pit stops"}},
                 {{"name", "telemetry"},
                  {"description", "telemetry: laps, traces, lap comparison, speed, braking and cornering"}},
                 {{"name", "meta"}, {"description", "service, health and this document"}}})},
           {"paths", std::move(paths)},
           {"components", {{"schemas", schema::components()}}}};
  if (!info.description.empty()) doc["info"]["description"] = info.description;
  return doc;
}

}  // namespace apex
