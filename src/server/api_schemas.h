// JSON Schemas (OpenAPI 3.1 dialect, i.e. JSON Schema 2020-12) of every request and
// response body, named for components.schemas. The shapes themselves are built in
// json_views.cpp; the OpenAPI check validates live answers against these, so a change
// to one without the other fails the tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apex::schema {

using nlohmann::json;

json number();
json integer();
json string();
json boolean();
json nullable(json schema);
json array(json items);
// An object whose listed properties are all present (some may be null); others allowed.
json object(std::vector<std::pair<std::string, json>> properties, std::string description = {});
// Same, plus properties that only some objects carry.
json object(std::vector<std::pair<std::string, json>> required,
            std::vector<std::pair<std::string, json>> optional, std::string description = {});
json string_enum(std::vector<std::string> values);
json ref(std::string_view component);
json with_description(json schema, std::string description);

// Every named schema, for components.schemas.
const json& components();

}  // namespace apex::schema
