// The error for a failed system call on a local file: NotFound when the file or a folder on
// its path is missing, Unavailable otherwise, with the action, the file's name and the
// reason. The name is what the caller calls the file: LocalStore passes the key, so that
// no message it makes (and no answer of the API that carries one) shows where the data
// lives on the server's disk.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.h"

namespace apex {

inline Error file_error(std::string_view name, std::string_view action, int err) {
  const ErrorKind kind = (err == ENOENT || err == ENOTDIR) ? ErrorKind::NotFound : ErrorKind::Unavailable;
  return Error{kind, std::string(action) + " '" + std::string(name) + "': " + std::strerror(err)};
}

}  // namespace apex
