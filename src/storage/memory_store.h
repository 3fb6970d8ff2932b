// MemoryStore: an ObjectStore held in memory, for tests and property checks.
// Like LevelDB's memenv: same contract as the real stores, no disk, no network.
#pragma once

#include <map>
#include <mutex>

#include "storage/object_store.h"

namespace apex {

class MemoryStore final : public ObjectStore {
 public:
  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override;
  Result<ObjectInfo> stat(std::string_view key) override;
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override;
  Status write(std::string_view key, const ByteSource& source) override;
  Status remove(std::string_view key) override;
  std::string describe() const override { return "in-memory store"; }

 private:
  struct Entry {
    std::string bytes;
    std::uint64_t generation = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> objects_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace apex
