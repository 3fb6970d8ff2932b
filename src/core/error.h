// Errors as values: every fallible call returns Result<T> or Status instead of
// throwing, so a missing file or a bad row is an ordinary outcome callers handle.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace apex {

enum class ErrorKind {
  NotFound,       // object, track, session or driver does not exist
  InvalidInput,   // the caller's request or configuration is wrong
  AuthFailed,     // credentials rejected
  BucketMissing,  // the configured bucket does not exist
  Unavailable,    // network, 5xx, timeouts: retryable
  Corrupt,        // bytes are not what their name says (object, line, column)
  Unreadable,     // the object is there but cannot be used until someone fixes it (a local
                  // file: permission denied, a loop of links, a disk error): not retryable
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;  // what failed, on which object, what to check; never secrets

  // "<kind>: <message>", for logs and the CLI.
  std::string describe() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> make_error(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(Error{kind, std::move(message)});
}

}  // namespace apex
