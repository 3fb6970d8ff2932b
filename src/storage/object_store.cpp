#include "storage/object_store.h"

#include <algorithm>
#include <cstring>

namespace apex {

Result<VerifiableObjectInfo> ObjectStore::stat_with_checksums(std::string_view key) {
  auto info = stat(key);
  if (!info) return std::unexpected(info.error());
  return VerifiableObjectInfo{std::move(*info), {}};
}

Result<std::string> ObjectStore::read_all(std::string_view key) {
  std::string out;
  auto status = read(key, ByteRange{}, [&](std::string_view chunk) -> Status {
    out.append(chunk);
    return {};
  });
  if (!status) return std::unexpected(status.error());
  return out;
}

Status ObjectStore::write_all(std::string_view key, std::string_view bytes) {
  std::size_t pos = 0;
  return write(key, [&](char* buf, std::size_t capacity) -> Result<std::size_t> {
    std::size_t n = std::min(capacity, bytes.size() - pos);
    std::memcpy(buf, bytes.data() + pos, n);
    pos += n;
    return n;
  });
}

Status validate_key(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorKind::InvalidInput,
                      "invalid object key '" + std::string(key) + "': " + std::string(why));
  };
  if (key.empty()) return bad("empty");
  if (key.front() == '/') return bad("absolute path");
  if (key.find('\\') != std::string_view::npos) return bad("backslash");
  if (key.find('\0') != std::string_view::npos) return bad("NUL byte");
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) return bad("empty path segment");
    if (segment == "." || segment == "..") return bad("'.' or '..' segment");
    start = end + 1;
  }
  return {};
}

}  // namespace apex
