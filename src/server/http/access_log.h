// The access log line of a request: what a client sent is escaped (no raw CR, LF, ESC or
// other control byte reaches the log, so a request cannot forge or recolour log lines) and
// secret-looking query values are replaced by "***".
#pragma once

#include <string>
#include <string_view>

namespace apex {

// Printable ASCII is kept; every other byte (controls, DEL, non-ASCII), and '\\' and '"',
// become \xHH. At most `max_bytes` of input are kept, then "...".
std::string log_escaped(std::string_view text, std::size_t max_bytes = 2048);

// The target with the values of query parameters whose name says secret (token, key,
// signature, password, credential, secret, auth) replaced by "***", then escaped.
std::string loggable_target(std::string_view target);

}  // namespace apex
