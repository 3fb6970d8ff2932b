// SessionCache: the catalog and parsed, analysed sessions, loaded once and kept.
//
// - Bounded: least recently used sessions are dropped beyond max_bytes.
// - Single-flight: many requests for one cold session trigger one load; the others wait.
// - Fresh: at most once per revalidate interval the store is re-listed (one LIST, no
//   reads) on the cache's own thread, never inside a request: requests are answered from the
//   catalog held meanwhile. Sessions whose objects changed size or version are dropped, and a
//   session whose files changed while they were read is not kept.
// Thread-safe: every method may be called from any server thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "load/session_loader.h"
#include "model/session.h"
#include "storage/object_store.h"

namespace apex {

// Serialised answers computed from one loaded session, keyed by request target, so a
// repeated request costs a lookup instead of an analysis and a JSON dump. It lives and
// dies with its session: a reloaded session starts empty. Thread-safe.
class ResponseMemo {
 public:
  struct Body {
    std::string text;
    std::string etag;
  };
  // Beyond this, new answers are served but not kept (arbitrary /laps filters are unbounded).
  static constexpr std::size_t kMaxBytes = 16u << 20;

  std::shared_ptr<const Body> find(const std::string& key) const;
  void store(const std::string& key, std::shared_ptr<const Body> body) const;

 private:
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Body>> bodies_;
  mutable std::size_t bytes_ = 0;
};

struct LoadedSession {
  Session session;
  SessionAnalysis analysis;
  SessionFiles files;                     // the catalog's view when loaded: a change in it means reload
  std::vector<ObjectInfo> compared_with;  // other sessions' files it was compared with: likewise
  std::size_t approx_bytes = 0;
  std::chrono::steady_clock::time_point loaded_at;
  ResponseMemo responses;
};

struct CacheStats {
  std::size_t sessions = 0;
  std::size_t bytes = 0;
  std::size_t max_bytes = 0;
  std::uint64_t loads = 0;
  std::uint64_t hits = 0;
  std::uint64_t evictions = 0;
  std::uint64_t catalog_listings = 0;
  // Set while the last re-listing failed and the cache answers from the catalog it had:
  // why the store could not be listed. Empty when the data is current.
  std::string stale_reason;
};

class SessionCache {
 public:
  SessionCache(ObjectStore& store, std::size_t max_bytes,
               std::chrono::milliseconds revalidate_interval = std::chrono::seconds(5));
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // The catalog held; older than the revalidate interval, a re-listing starts in the
  // background. Listed here and now only by the very first call: while the store cannot be
  // listed, the last failure is returned at once and the background retries.
  Result<std::shared_ptr<const Catalog>> catalog();
  // Re-lists the store now and waits for it (the catalog held, with the stale reason set,
  // when the listing fails).
  Result<std::shared_ptr<const Catalog>> revalidate_now();

  // The analysed session, from cache or loaded now. NotFound names the unknown
  // track or session.
  Result<std::shared_ptr<const LoadedSession>> session(std::string_view track_id,
                                                       std::string_view session_id);

  CacheStats stats() const;
  // Why answers come from a catalog that could not be revalidated; empty when current.
  std::string stale_reason() const;
  ObjectStore& store() { return store_; }

 private:
  using Key = std::pair<std::string, std::string>;
  using Loaded = Result<std::shared_ptr<const LoadedSession>>;
  struct Entry {
    std::shared_future<Loaded> future;
    std::list<Key>::iterator lru_position;
    std::size_t bytes = 0;
    bool ready = false;
  };

  Result<std::shared_ptr<const Catalog>> refresh_catalog_locked(std::unique_lock<std::mutex>& lock);
  Result<std::shared_ptr<const Catalog>> relist_locked(std::unique_lock<std::mutex>& lock);
  void relist_in_background();
  // `changed`: a file was no longer as listed once read (the answer is then Unavailable).
  Result<std::shared_ptr<const LoadedSession>> load(const TrackCatalog& track, const SessionFiles& files,
                                                    bool& changed);
  void evict_locked();
  void drop_changed_locked(const Catalog& fresh);

  ObjectStore& store_;
  const std::size_t max_bytes_;
  const std::chrono::milliseconds revalidate_interval_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> catalog_;
  std::optional<Error> listing_error_;  // why the store could not be listed, while there is no catalog
  std::chrono::steady_clock::time_point catalog_checked_at_{};
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;  // front = most recent
  CacheStats stats_;
  std::condition_variable relist_wanted_;
  bool relist_requested_ = false;
  bool stopping_ = false;
  std::thread relister_;  // last: starts once the members above exist
};

}  // namespace apex
