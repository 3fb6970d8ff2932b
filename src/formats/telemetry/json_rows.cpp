// The rows of the JSON-in-CSV layout (one row per timestamp, a JSON array of name/value
// pairs in the value column), for the Worker.
#include <nlohmann/json.hpp>

#include "formats/telemetry/block_worker.h"

namespace apex::telemetry_parsing {

namespace {
namespace json_scan {

inline void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

// A string without escapes; false (fallback) on a backslash or an unterminated string.
inline bool read_string(std::string_view s, std::size_t& i, std::string_view& out) {
  if (i >= s.size() || s[i] != '"') return false;
  const std::size_t start = ++i;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') return false;
    ++i;
  }
  if (i >= s.size()) return false;
  out = s.substr(start, i - start);
  ++i;
  return true;
}

// A scalar: string, number, true, false or null. False on nesting (fallback).
inline bool read_scalar(std::string_view s, std::size_t& i, JsonPair& pair, bool as_name) {
  if (i >= s.size()) return false;
  if (s[i] == '"') {
    std::string_view text;
    if (!read_string(s, i, text)) return false;
    (as_name ? pair.name : pair.text) = text;
    return true;
  }
  if (as_name) return false;
  const std::size_t start = i;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' ||
                          s[i] == 'E' || (s[i] >= 'a' && s[i] <= 'z')))
    ++i;
  std::string_view token = s.substr(start, i - start);
  if (token.empty()) return false;
  if (token == "null") {
    pair.null = true;
  } else if (token == "true" || token == "false") {
    pair.number = token == "true" ? 1.0f : 0.0f;
  } else {
    pair.text = token;
  }
  return true;
}

bool is_name_key(std::string_view k) {
  return k == "name" || k == "telemetry_name" || k == "channel";
}
bool is_value_key(std::string_view k) {
  return k == "value" || k == "telemetry_value";
}

}  // namespace json_scan
}  // namespace

bool Worker::scan_json_pairs(std::string_view s) {
  using namespace json_scan;
  pairs_.clear();
  std::size_t i = 0;
  skip_ws(s, i);
  if (i >= s.size() || s[i] != '[') return false;
  ++i;
  skip_ws(s, i);
  if (i < s.size() && s[i] == ']') {
    ++i;
    skip_ws(s, i);
    return i == s.size();
  }
  for (;;) {
    skip_ws(s, i);
    if (i >= s.size()) return false;
    JsonPair pair;
    bool has_name = false;
    bool has_value = false;
    if (s[i] == '{') {
      ++i;
      skip_ws(s, i);
      if (i < s.size() && s[i] == '}') return false;
      for (;;) {
        skip_ws(s, i);
        std::string_view key;
        if (!read_string(s, i, key)) return false;
        skip_ws(s, i);
        if (i >= s.size() || s[i] != ':') return false;
        ++i;
        skip_ws(s, i);
        JsonPair scalar;
        if (!read_scalar(s, i, scalar, false)) return false;
        if (is_name_key(key)) {
          if (scalar.null || scalar.number) return false;
          pair.name = scalar.text;
          has_name = true;
        } else if (is_value_key(key)) {
          pair.text = scalar.text;
          pair.number = scalar.number;
          pair.null = scalar.null;
          has_value = true;
        }
        skip_ws(s, i);
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        return false;
      }
    } else if (s[i] == '[') {
      ++i;
      skip_ws(s, i);
      if (!read_scalar(s, i, pair, true)) return false;
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ',') return false;
      ++i;
      skip_ws(s, i);
      if (!read_scalar(s, i, pair, false)) return false;
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ']') return false;
      ++i;
      has_name = has_value = true;
    } else {
      return false;
    }
    if (!has_name || !has_value) return false;
    pairs_.push_back(pair);
    skip_ws(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == ']') {
      ++i;
      skip_ws(s, i);
      return i == s.size();
    }
    return false;
  }
}

bool Worker::json_pairs_fallback(std::string_view text) {
  using nlohmann::json;
  pairs_.clear();
  json_strings_.clear();
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return false;
  auto add = [&](const std::string& name, const json& value) -> bool {
    JsonPair pair;
    pair.name = json_strings_.emplace_back(name);
    if (value.is_null()) {
      pair.null = true;
    } else if (value.is_number()) {
      pair.number = static_cast<float>(value.get<double>());
    } else if (value.is_boolean()) {
      pair.number = value.get<bool>() ? 1.0f : 0.0f;
    } else if (value.is_string()) {
      pair.text = json_strings_.emplace_back(value.get<std::string>());
    } else {
      return false;
    }
    pairs_.push_back(pair);
    return true;
  };
  if (doc.is_object()) {  // {"speed": 123.4, ...}
    for (const auto& [name, value] : doc.items())
      if (!add(name, value)) return false;
    return true;
  }
  if (!doc.is_array()) return false;
  for (const json& element : doc) {
    if (element.is_array() && element.size() == 2 && element[0].is_string()) {
      if (!add(element[0].get<std::string>(), element[1])) return false;
      continue;
    }
    if (!element.is_object()) return false;
    const json* name = nullptr;
    const json* value = nullptr;
    for (const char* k : {"name", "telemetry_name", "channel"})
      if (!name && element.contains(k)) name = &element[k];
    for (const char* k : {"value", "telemetry_value"})
      if (!value && element.contains(k)) value = &element[k];
    if (!name || !value || !name->is_string()) return false;
    if (!add(name->get<std::string>(), *value)) return false;
  }
  return true;
}

void Worker::take_json(std::string_view vehicle, std::string_view timestamp, std::string_view value,
                       std::string_view lap, std::string_view meta, std::uint64_t line, BlockSummary& out) {
  std::int64_t ts = 0;
  if (!parse_time(timestamp, time_cache_, ts) || ts < 0 || ts >= kMaxTimeMs)
    return reject(out, line, "timestamp is not an ISO-8601 time: '" + shown(timestamp) + "'");
  if (vehicle.empty()) return reject(out, line, "empty vehicle_id");
  if (!scan_json_pairs(value) && !json_pairs_fallback(value))
    return reject(out, line, "value is not a JSON array of name/value pairs: '" + shown(value) + "'");
  const std::uint32_t vi = vehicle_index(vehicle);
  const auto code = static_cast<std::uint16_t>(layout_.lap >= 0 ? lap_code(lap) : kLapUnknownCode);
  std::string problem;
  for (const JsonPair& pair : pairs_) {
    if (pair.null) continue;  // a channel without a reading at this time
    float v = 0;
    const bool ok = pair.number ? std::isfinite(*pair.number) : parse_value(pair.text, v);
    if (pair.number) v = *pair.number;
    if (pair.name.empty() || !ok) {
      if (problem.empty())
        problem = pair.name.empty()
                      ? std::string("a pair without a name")
                      : "value of '" + shown(pair.name) + "' is not a number: '" + shown(pair.text) + "'";
      continue;
    }
    stage(vi, channel_index(pair.name)).append(ts, code, v);
  }
  if (!problem.empty()) reject(out, line, problem);
  if (layout_.meta_time >= 0 && lag_sampled(ts)) {
    std::int64_t meta_ms = 0;
    if (parse_time(meta, meta_cache_, meta_ms)) lags_[vi].push_back(meta_ms - ts);
  }
}

}  // namespace apex::telemetry_parsing
