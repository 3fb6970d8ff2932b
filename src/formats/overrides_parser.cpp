#include "formats/overrides_parser.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace apex {
namespace {

using nlohmann::json;

// A problem in the file, at a place in it ("R1.exclude_laps[0].lap").
struct Invalid {
  std::string where;
  std::string what;
};

// Lap counters beyond this are not laps (the ECU's "lap lost" is 32768).
constexpr std::int64_t kMaxLap = 1'000'000;
// An engineer's overrides are a few lines; a bigger file is not one.
constexpr std::size_t kMaxOverridesBytes = 1u << 20;

std::string type_name(const json& value) {
  return value.is_null() ? "null" : std::string(value.type_name());
}

// A value for an error message: a short scalar as written, anything else by its type (a
// deeply nested value must not be printed, or even walked).
std::string shown(const json& value) {
  if (value.is_primitive()) {
    std::string text = value.dump();
    return text.size() <= 40 ? text : type_name(value);
  }
  const std::string type = type_name(value);
  return (type.front() == 'a' || type.front() == 'o' ? "an " : "a ") + type;
}

void expect_object(const json& value, const std::string& where) {
  if (!value.is_object()) throw Invalid{where, "expected an object, found " + type_name(value)};
}

// Every key of `object` must be one of `known`: a misspelt key would otherwise do nothing.
void expect_keys(const json& object, const std::string& where,
                 std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string names;
      for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      throw Invalid{where, "unknown key '" + key + "' (expected: " + names + ")"};
    }
}

std::string text_field(const json& object, const std::string& where, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) throw Invalid{where, "missing '" + std::string(key) + "'"};
    return {};
  }
  if (!it->is_string() || it->get<std::string>().empty())
    throw Invalid{where + "." + key, "expected a non-empty string, found " + type_name(*it)};
  return it->get<std::string>();
}

const json& array_field(const json& object, const std::string& where, const char* key) {
  static const json none = json::array();
  auto it = object.find(key);
  if (it == object.end()) return none;
  if (!it->is_array()) throw Invalid{where + "." + key, "expected a list, found " + type_name(*it)};
  return *it;
}

std::vector<LinkOverride> links(const json& session, const std::string& where, const char* key) {
  std::vector<LinkOverride> out;
  const json& list = array_field(session, where, key);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
    expect_object(list[i], at);
    expect_keys(list[i], at, {"car", "vehicle", "reason"});
    out.push_back(LinkOverride{text_field(list[i], at, "car", true), text_field(list[i], at, "vehicle", true),
                               text_field(list[i], at, "reason", false)});
  }
  return out;
}

std::vector<LapExclusion> lap_exclusions(const json& session, const std::string& where) {
  std::vector<LapExclusion> out;
  const json& list = array_field(session, where, "exclude_laps");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + ".exclude_laps[" + std::to_string(i) + "]";
    expect_object(list[i], at);
    expect_keys(list[i], at, {"car", "vehicle", "lap", "reason"});
    LapExclusion lap;
    lap.car_id = text_field(list[i], at, "car", false);
    lap.vehicle_id = text_field(list[i], at, "vehicle", false);
    if (lap.car_id.empty() == lap.vehicle_id.empty())
      throw Invalid{at,
                    "name either a 'car' (official timing) or a 'vehicle' (ECU laps), not both or neither"};
    auto number = list[i].find("lap");
    if (number == list[i].end()) throw Invalid{at, "missing 'lap'"};
    if (!number->is_number_integer() || number->get<std::int64_t>() < 0 ||
        number->get<std::int64_t>() > kMaxLap)
      throw Invalid{at + ".lap", "expected a lap number (an integer from 0 to " + std::to_string(kMaxLap) +
                                     "), found " + shown(*number)};
    lap.lap = number->get<int>();
    lap.reason = text_field(list[i], at, "reason", false);
    out.push_back(std::move(lap));
  }
  return out;
}

std::vector<FileExclusion> file_exclusions(const json& session, const std::string& where) {
  std::vector<FileExclusion> out;
  const json& list = array_field(session, where, "exclude_files");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + ".exclude_files[" + std::to_string(i) + "]";
    expect_object(list[i], at);
    expect_keys(list[i], at, {"file", "reason"});
    out.push_back(
        FileExclusion{text_field(list[i], at, "file", true), text_field(list[i], at, "reason", false)});
  }
  return out;
}

SessionOverrides session_overrides(const json& session, const std::string& where) {
  expect_object(session, where);
  expect_keys(session, where, {"link", "forbid_link", "exclude_laps", "exclude_files", "comment"});
  SessionOverrides out;
  out.forced_links = links(session, where, "link");
  out.forbidden_links = links(session, where, "forbid_link");
  out.excluded_laps = lap_exclusions(session, where);
  out.excluded_files = file_exclusions(session, where);
  return out;
}

// 1-based line and column of a byte offset, for a JSON syntax error.
std::string line_and_column(std::string_view bytes, std::size_t offset) {
  offset = std::min(offset, bytes.size());
  const std::string_view before = bytes.substr(0, offset);
  const auto line = std::count(before.begin(), before.end(), '\n') + 1;
  const auto last_newline = before.rfind('\n');
  const auto column = offset - (last_newline == std::string_view::npos ? 0 : last_newline + 1);
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

Result<OverridesBySession> parse_overrides(std::string_view bytes, std::string_view object_key) {
  const std::string file(object_key);
  if (bytes.size() > kMaxOverridesBytes)
    return make_error(ErrorKind::Corrupt, file + ": " + std::to_string(bytes.size()) +
                                              " bytes, more than an overrides file holds (at most " +
                                              std::to_string(kMaxOverridesBytes) +
                                              "); nothing in it was applied");
  json document;
  try {
    document = json::parse(bytes);
  } catch (const json::parse_error& e) {
    return make_error(ErrorKind::Corrupt, file + ": not valid JSON at " + line_and_column(bytes, e.byte) +
                                              "; nothing in it was applied");
  }
  try {
    expect_object(document, "the file");
    OverridesBySession out;
    for (const auto& [session, value] : document.items()) {
      if (session == "comment") continue;
      out[session] = session_overrides(value, session);
      out[session].source_key = file;
    }
    return out;
  } catch (const Invalid& invalid) {
    return make_error(ErrorKind::Corrupt, file + ": " + invalid.where + ": " + invalid.what +
                                              "; nothing in the file was applied");
  }
}

}  // namespace apex
