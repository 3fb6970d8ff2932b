// JSON text for answers and CLI output. Text from the data can hold bytes that are not
// UTF-8 (folders unpacked from Latin-1 or CP437 zips, a vehicle id in a damaged file, the
// header of a binary file quoted in a message); nlohmann::json throws on those by default,
// which turned one such byte into a 500 for a whole route or an abort of `--json`. They
// become U+FFFD instead, so the rest of the answer, and the file name in an error, survive.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace apex {

inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace apex
