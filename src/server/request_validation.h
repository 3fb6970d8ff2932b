// Checks on what a client controls, applied by ApiServer before a route handler runs, so
// a hostile value is answered 400 and never becomes part of a catalog lookup, a store key
// or a message: path parameters (track, session, driver, lap), query values, the raw
// request target (encoded slashes and NUL bytes), and the optional API token.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace apex {

// Longest accepted path parameter, in bytes. Track folders, session names and vehicle ids
// are tens of bytes; a long value can only be an attack or a mistake.
inline constexpr std::size_t kMaxPathParameterBytes = 128;
// Longest accepted query value, in bytes.
inline constexpr std::size_t kMaxQueryValueBytes = 256;

// Why a decoded path parameter is refused, or nullopt when it is acceptable: empty or too
// long, not UTF-8, a control character (NUL included), '/', '\' or "..". Names with spaces
// and non-ASCII letters stay valid: real track folders have them.
std::optional<std::string> path_parameter_problem(std::string_view name, std::string_view value);

// The same for a decoded query parameter value (may be empty).
std::optional<std::string> query_value_problem(std::string_view name, std::string_view value);

// Why the raw request target (as sent, before percent-decoding) is refused: an encoded
// slash or backslash (%2F, %5C) or NUL byte (%00) in its path, which decoding would turn
// into a separator or a string terminator. nullopt when acceptable.
std::optional<std::string> raw_target_problem(std::string_view target);

// Whether an Authorization header value carries the expected Bearer token. The comparison
// takes the same time wherever the values differ and whatever their lengths, so response
// times reveal nothing about the token.
bool bearer_token_matches(std::string_view authorization_header, std::string_view expected_token);

}  // namespace apex
