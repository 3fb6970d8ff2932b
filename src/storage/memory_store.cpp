#include "storage/memory_store.h"

#include <algorithm>

#include "storage/listing_rollup.h"

namespace apex {

Result<Listing> MemoryStore::list(std::string_view prefix, std::optional<char> delimiter) {
  std::vector<ObjectInfo> objects;
  {
    std::lock_guard lock(mutex_);
    for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it)
      objects.push_back(
          ObjectInfo{it->first, it->second.bytes.size(), std::to_string(it->second.generation)});
  }
  return rollup_listing(std::move(objects), prefix, delimiter);
}

Result<ObjectInfo> MemoryStore::stat(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return make_error(ErrorKind::NotFound, "no object '" + std::string(key) + "'");
  return ObjectInfo{it->first, it->second.bytes.size(), std::to_string(it->second.generation)};
}

Status MemoryStore::read(std::string_view key, ByteRange range, const ByteSink& sink) {
  std::string copy;
  {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return make_error(ErrorKind::NotFound, "no object '" + std::string(key) + "'");
    const std::string& bytes = it->second.bytes;
    if (range.offset > bytes.size())
      return make_error(ErrorKind::InvalidInput, "range starts beyond the end of '" + std::string(key) + "'");
    copy = bytes.substr(range.offset, range.length.value_or(bytes.size()));
  }
  if (copy.empty()) return {};
  return sink(copy);
}

Status MemoryStore::write(std::string_view key, const ByteSource& source) {
  if (auto ok = validate_key(key); !ok) return ok;
  std::string bytes;
  char buffer[64 * 1024];
  while (true) {
    auto n = source(buffer, sizeof buffer);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    bytes.append(buffer, *n);
  }
  std::lock_guard lock(mutex_);
  objects_[std::string(key)] = Entry{std::move(bytes), next_generation_++};
  return {};
}

Status MemoryStore::remove(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return make_error(ErrorKind::NotFound, "no object '" + std::string(key) + "'");
  objects_.erase(it);
  return {};
}

}  // namespace apex
