// "1 track", "2 tracks": a count and its noun, for the messages and logs that print counts
// (the serve log said "1 tracks").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace apex {

// plural: when it is not singular + "s" ("entry" / "entries").
inline std::string counted(std::size_t n, std::string_view singular, std::string_view plural = {}) {
  std::string out = std::to_string(n);
  out += ' ';
  if (n == 1)
    out += singular;
  else if (!plural.empty())
    out += plural;
  else
    (out += singular) += 's';
  return out;
}

}  // namespace apex
