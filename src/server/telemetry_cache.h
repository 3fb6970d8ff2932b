// TelemetryCache: parsed telemetry files, loaded once and kept within a memory budget.
//
// Telemetry is 95% of a race's bytes (11-25 million samples, 150-300 MB parsed), so it is
// kept apart from the timing sessions and loaded only when a telemetry route asks for it:
// a leaderboard never parses telemetry. Entries are keyed by object key and version, so a
// file replaced in the store is a new entry and the old one ages out. Least recently used
// entries are dropped when the budget is exceeded (never the one just used: a file bigger
// than the budget is still served). Many requests for one cold file trigger one load.
//
// One car's request (get_vehicle) loads the whole file when its parsed size fits in the
// budget, since one pass serves every car that is asked for next; when it does not fit, it
// loads that car's samples alone (the parser reads past the other cars' rows), so memory
// stays within CACHE_MAX_MB however large the race. A loaded whole file always answers.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"
#include "model/telemetry.h"
#include "storage/object_store.h"

namespace apex {

struct TelemetryCacheStats {
  std::size_t files = 0;
  std::size_t bytes = 0;  // heap held by the parsed samples
  std::uint64_t loads = 0;
  std::uint64_t hits = 0;
  std::uint64_t evictions = 0;
  double last_load_seconds = 0;
};

class TelemetryCache {
 public:
  // budget: the bytes the cache may hold, asked at every insertion (the server passes
  // CACHE_MAX_MB minus what the timing sessions hold, so the two share one bound).
  TelemetryCache(ObjectStore& store, std::function<std::size_t()> budget);

  // The whole file.
  Result<std::shared_ptr<const Telemetry>> get(const ObjectInfo& object);
  // What one vehicle's answers need: the whole file or that vehicle alone (see above). The
  // result holds no vehicle at all when the file has none of that id.
  Result<std::shared_ptr<const Telemetry>> get_vehicle(const ObjectInfo& object,
                                                       const std::string& vehicle_id);

  // Parsed bytes per byte of a telemetry file, to judge before a load whether it fits: 8
  // bytes a kept sample and about 130 bytes a row (measured on the generator's 1 GiB file:
  // 66 MB held for 1,074 MB, 0.062; real files repeat a sixth of their rows, which only
  // lowers it), rounded up.
  static constexpr double kParsedBytesPerFileByte = 0.07;

  TelemetryCacheStats stats() const;

 private:
  struct Key {
    std::string key, version;
    std::string vehicle;  // empty: the whole file
    auto operator<=>(const Key&) const = default;
  };
  using Loaded = Result<std::shared_ptr<const Telemetry>>;
  struct Entry {
    std::shared_future<Loaded> future;
    std::list<Key>::iterator lru_position;
    std::size_t bytes = 0;
    bool ready = false;
  };
  Result<std::shared_ptr<const Telemetry>> get_entry(const Key& key);
  void evict_locked();

  ObjectStore& store_;
  std::function<std::size_t()> budget_;
  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;  // front = most recent
  TelemetryCacheStats stats_;
};

}  // namespace apex
