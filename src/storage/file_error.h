// The error for a failed system call on a local file: NotFound when the file or a folder on
// its path is missing, Unavailable otherwise, with the action, the path and the reason.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace apex {

inline Error file_error(const std::filesystem::path& path, std::string_view action, int err) {
  const ErrorKind kind = (err == ENOENT || err == ENOTDIR) ? ErrorKind::NotFound : ErrorKind::Unavailable;
  return Error{kind, std::string(action) + " '" + path.string() + "': " + std::strerror(err)};
}

}  // namespace apex
