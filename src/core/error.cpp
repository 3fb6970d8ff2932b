#include "core/error.h"

namespace apex {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound:
      return "not found";
    case ErrorKind::InvalidInput:
      return "invalid input";
    case ErrorKind::AuthFailed:
      return "authentication failed";
    case ErrorKind::BucketMissing:
      return "bucket missing";
    case ErrorKind::Unavailable:
      return "unavailable";
    case ErrorKind::Corrupt:
      return "corrupt data";
    case ErrorKind::Unreadable:
      return "unreadable";
  }
  return "error";
}

std::string Error::describe() const {
  return std::string(to_string(kind)) + ": " + message;
}

}  // namespace apex
