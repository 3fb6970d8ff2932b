// The error for a failed system call on a local file, with the action, the file's name and
// the reason. The name is what the caller calls the file: LocalStore passes the key, so
// that no message it makes (and no answer of the API that carries one) shows where the
// data lives on the server's disk.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.h"

namespace apex {

// Whether trying again can help, by errno:
// - NotFound: the file, or a folder on its path, is not there (or no longer);
// - Unavailable: the machine is short of something for now (descriptors, memory, a busy
//   or timed-out network mount): the next request may succeed;
// - Unreadable: everything else (permission denied, a loop of links, a folder where the
//   file should be, a disk that cannot read the sectors): the file stays unreadable until
//   someone fixes it, so readers skip it and report it instead of failing on every request.
inline ErrorKind file_error_kind(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return ErrorKind::NotFound;
    case EINTR:
    case EAGAIN:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case ENOBUFS:
    case EBUSY:
    case ETXTBSY:
    case ENOSPC:
    case EDQUOT:
    case ENOLCK:
    case ETIMEDOUT:
    case ESTALE:
      return ErrorKind::Unavailable;
    default:
      return ErrorKind::Unreadable;
  }
}

inline Error file_error(std::string_view name, std::string_view action, int err) {
  return Error{file_error_kind(err),
               std::string(action) + " '" + std::string(name) + "': " + std::strerror(err)};
}

}  // namespace apex
