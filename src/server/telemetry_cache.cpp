#include "server/telemetry_cache.h"

#include <chrono>
#include <cstdio>

#include "core/blocking_scope.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"

namespace apex {

TelemetryCache::TelemetryCache(ObjectStore& store, std::function<std::size_t()> budget)
    : store_(store), budget_(std::move(budget)) {}

Result<std::shared_ptr<const Telemetry>> TelemetryCache::get(const ObjectInfo& object) {
  return get_entry(Key{object.key, object.version, {}});
}

Result<std::shared_ptr<const Telemetry>> TelemetryCache::get_vehicle(const ObjectInfo& object,
                                                                     const std::string& vehicle_id) {
  Key whole{object.key, object.version, {}};
  bool whole_known = false;
  {
    std::lock_guard lock(mutex_);
    whole_known = entries_.contains(whole);  // loaded or loading: it answers every car
  }
  const double parsed = static_cast<double>(object.size) * kParsedBytesPerFileByte;
  if (whole_known || parsed <= static_cast<double>(budget_())) return get_entry(whole);
  return get_entry(Key{object.key, object.version, vehicle_id});
}

Result<std::shared_ptr<const Telemetry>> TelemetryCache::get_entry(const Key& key) {
  std::unique_lock lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (!it->second.ready) throw_if_must_not_block();
    lru_.splice(lru_.begin(), lru_, it->second.lru_position);
    ++stats_.hits;
    auto future = it->second.future;
    lock.unlock();
    return future.get();  // waits while another request loads it
  }
  throw_if_must_not_block();
  std::promise<Loaded> promise;
  lru_.push_front(key);
  entries_[key] = Entry{promise.get_future().share(), lru_.begin(), 0, false};
  ++stats_.loads;
  lock.unlock();

  const auto started = std::chrono::steady_clock::now();
  Loaded result = [&]() -> Loaded {
    TelemetryParseOptions options;
    options.only_vehicle = key.vehicle;
    auto telemetry = load_telemetry(store_, key.key, options);
    if (!telemetry) return std::unexpected(telemetry.error());
    return std::shared_ptr<const Telemetry>(std::make_shared<Telemetry>(std::move(*telemetry)));
  }();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  promise.set_value(result);

  lock.lock();
  stats_.last_load_seconds = seconds;
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (!result) {
      // Failures are not kept: the next request tries again.
      lru_.erase(it->second.lru_position);
      entries_.erase(it);
    } else {
      it->second.ready = true;
      it->second.bytes = (*result)->memory_bytes();
      stats_.bytes += it->second.bytes;
      ++stats_.files;
      evict_locked();
    }
  }
  return result;
}

void TelemetryCache::evict_locked() {
  const std::size_t budget = budget_();
  while (stats_.bytes > budget && lru_.size() > 1) {
    auto it = entries_.find(lru_.back());
    if (!it->second.ready) break;
    stats_.bytes -= it->second.bytes;
    --stats_.files;
    ++stats_.evictions;
    lru_.pop_back();
    entries_.erase(it);
  }
}

TelemetryCacheStats TelemetryCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace apex
