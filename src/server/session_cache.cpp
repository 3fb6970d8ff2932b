#include "server/session_cache.h"

#include <algorithm>
#include <optional>

#include "core/blocking_scope.h"

namespace apex {
namespace {

// Parsed sessions take a few times their files' size (strings, vectors, per-lap records).
constexpr std::size_t kParsedBytesPerFileByte = 4;

std::size_t estimate_bytes(const Session& session) {
  std::size_t bytes = 64 * 1024;
  for (const auto& source : session.sources) bytes += source.size * kParsedBytesPerFileByte;
  return bytes;
}

bool same_objects(const SessionFiles& a, const SessionFiles& b) {
  if (a.files.size() != b.files.size()) return false;
  for (const auto& [kind, object] : a.files) {
    const ObjectInfo* other = b.find(kind);
    if (!other || other->key != object.key || other->version != object.version || other->size != object.size)
      return false;
  }
  return true;
}

bool same_objects(const std::vector<ObjectInfo>& a, const std::vector<ObjectInfo>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ObjectInfo& x, const ObjectInfo& y) {
    return x.key == y.key && x.version == y.version && x.size == y.size;
  });
}

// The key of a session file whose size or version is no longer the one listed before it was
// read (rewritten in place, replaced): the session would mix old and new bytes. A file that
// cannot be looked at now is not counted: its read succeeded.
std::optional<std::string> changed_while_read(ObjectStore& store, const SessionFiles& files) {
  for (const auto& [kind, object] : files.files) {
    auto now = store.stat(object.key);
    if (now && (now->size != object.size || now->version != object.version)) return object.key;
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<const ResponseMemo::Body> ResponseMemo::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = bodies_.find(key);
  return it == bodies_.end() ? nullptr : it->second;
}

void ResponseMemo::store(const std::string& key, std::shared_ptr<const Body> body) const {
  std::lock_guard lock(mutex_);
  std::size_t size = key.size() + body->text.size() + body->etag.size();
  if (bytes_ + size > kMaxBytes) return;
  if (bodies_.emplace(key, std::move(body)).second) bytes_ += size;
}

SessionCache::SessionCache(ObjectStore& store, std::size_t max_bytes,
                           std::chrono::milliseconds revalidate_interval)
    : store_(store),
      max_bytes_(max_bytes),
      revalidate_interval_(revalidate_interval),
      relister_([this] { relist_in_background(); }) {
  stats_.max_bytes = max_bytes;
}

SessionCache::~SessionCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  relist_wanted_.notify_one();
  relister_.join();
}

Result<std::shared_ptr<const Catalog>> SessionCache::catalog() {
  std::unique_lock lock(mutex_);
  return refresh_catalog_locked(lock);
}

Result<std::shared_ptr<const Catalog>> SessionCache::revalidate_now() {
  std::unique_lock lock(mutex_);
  catalog_checked_at_ = std::chrono::steady_clock::now();
  return relist_locked(lock);
}

Result<std::shared_ptr<const Catalog>> SessionCache::refresh_catalog_locked(
    std::unique_lock<std::mutex>& lock) {
  auto now = std::chrono::steady_clock::now();
  const bool checked_recently = now - catalog_checked_at_ < revalidate_interval_;
  if (catalog_ && checked_recently) return catalog_;
  if (catalog_ || listing_error_) {
    // A million files take seconds to list, a store that is down longer: no request waits.
    // Without a catalog, the last listing's failure is the answer until one succeeds.
    if (!checked_recently) {
      catalog_checked_at_ = now;
      relist_requested_ = true;
      relist_wanted_.notify_one();
    }
    if (catalog_) return catalog_;
    return std::unexpected(*listing_error_);
  }
  catalog_checked_at_ = now;
  throw_if_must_not_block();
  return relist_locked(lock);
}

void SessionCache::relist_in_background() {
  std::unique_lock lock(mutex_);
  while (true) {
    relist_wanted_.wait(lock, [this] { return relist_requested_ || stopping_; });
    if (stopping_) return;
    relist_requested_ = false;
    (void)relist_locked(lock);
  }
}

Result<std::shared_ptr<const Catalog>> SessionCache::relist_locked(std::unique_lock<std::mutex>& lock) {
  // List without holding the lock: a slow bucket must not block cached answers.
  ++stats_.catalog_listings;
  lock.unlock();
  auto fresh = Catalog::build(store_);
  lock.lock();
  if (!fresh) {
    // Keep serving what we had if the store is briefly unavailable, and say so.
    if (catalog_) {
      stats_.stale_reason = fresh.error().message;
      return catalog_;
    }
    listing_error_ = fresh.error();
    return std::unexpected(fresh.error());
  }
  listing_error_.reset();
  stats_.stale_reason.clear();
  drop_changed_locked(*fresh);
  catalog_ = std::make_shared<const Catalog>(std::move(*fresh));
  return catalog_;
}

void SessionCache::drop_changed_locked(const Catalog& fresh) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool changed = false;
    if (it->second.ready) {
      auto loaded = it->second.future.get();
      const TrackCatalog* track = fresh.find_track(it->first.first);
      const SessionFiles* files = track ? track->find_session(it->first.second) : nullptr;
      changed = !loaded || !files || !same_objects((*loaded)->files, *files) ||
                !same_objects((*loaded)->compared_with, files_compared_with(*track, *files));
    }
    if (changed) {
      stats_.bytes -= it->second.bytes;
      lru_.erase(it->second.lru_position);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::shared_ptr<const LoadedSession>> SessionCache::session(std::string_view track_id,
                                                                   std::string_view session_id) {
  std::unique_lock lock(mutex_);
  auto catalog = refresh_catalog_locked(lock);
  if (!catalog) return std::unexpected(catalog.error());
  const TrackCatalog* track = (*catalog)->find_track(track_id);
  if (!track)
    return make_error(ErrorKind::NotFound, "track '" + std::string(track_id) +
                                               "' not found (tracks: " + (*catalog)->track_ids_text() + ")");
  const SessionFiles* files = track->find_session(session_id);
  if (!files)
    return make_error(ErrorKind::NotFound, "session '" + std::string(session_id) + "' not found for track '" +
                                               track->id + "' (sessions: " + track->session_ids_text() + ")");
  Key key{track->id, files->id};
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (!it->second.ready) throw_if_must_not_block();
    lru_.splice(lru_.begin(), lru_, it->second.lru_position);
    ++stats_.hits;
    auto future = it->second.future;
    lock.unlock();
    return future.get();  // waits when another request is loading it
  }
  throw_if_must_not_block();
  std::promise<Loaded> promise;
  lru_.push_front(key);
  entries_[key] = Entry{promise.get_future().share(), lru_.begin(), 0, false};
  ++stats_.loads;
  std::shared_ptr<const Catalog> pinned = *catalog;  // keeps track/files alive while loading
  lock.unlock();

  bool changed = false;
  Loaded result = load(*track, *files, changed);
  if (changed) {
    // A file changed while it was read: re-list, and read the session once more as it is now.
    auto fresh = revalidate_now();
    const TrackCatalog* now_track = fresh ? (*fresh)->find_track(key.first) : nullptr;
    const SessionFiles* now_files = now_track ? now_track->find_session(key.second) : nullptr;
    if (now_files) {
      pinned = *fresh;
      result = load(*now_track, *now_files, changed);
    }
  }
  promise.set_value(result);

  lock.lock();
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (!result) {
      // Failures are not cached: the next request tries again.
      lru_.erase(it->second.lru_position);
      entries_.erase(it);
    } else {
      it->second.ready = true;
      it->second.bytes = (*result)->approx_bytes;
      stats_.bytes += it->second.bytes;
      evict_locked();
    }
  }
  return result;
}

SessionCache::Loaded SessionCache::load(const TrackCatalog& track, const SessionFiles& files, bool& changed) {
  changed = false;
  auto session = load_session(store_, track, files);
  if (!session) return std::unexpected(session.error());
  if (auto key = changed_while_read(store_, files)) {
    changed = true;
    return make_error(ErrorKind::Unavailable, "'" + *key +
                                                  "' changed while it was read; the next request reads the "
                                                  "new version");
  }
  auto loaded = std::make_shared<LoadedSession>();
  loaded->analysis = analyse_session(*session);
  loaded->approx_bytes = estimate_bytes(*session);
  loaded->files = files;
  loaded->compared_with = files_compared_with(track, files);
  loaded->session = std::move(*session);
  loaded->loaded_at = std::chrono::steady_clock::now();
  return std::shared_ptr<const LoadedSession>(std::move(loaded));
}

void SessionCache::evict_locked() {
  // Never evict the most recent entry: a session bigger than the budget is still served.
  while (stats_.bytes > max_bytes_ && lru_.size() > 1) {
    auto it = entries_.find(lru_.back());
    if (!it->second.ready) break;
    stats_.bytes -= it->second.bytes;
    lru_.pop_back();
    entries_.erase(it);
    ++stats_.evictions;
  }
}

CacheStats SessionCache::stats() const {
  std::lock_guard lock(mutex_);
  CacheStats s = stats_;
  s.sessions = entries_.size();
  return s;
}

std::string SessionCache::stale_reason() const {
  std::lock_guard lock(mutex_);
  return stats_.stale_reason;
}

}  // namespace apex
