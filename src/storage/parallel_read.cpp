#include "storage/parallel_read.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace apex {

namespace {

// One ranged read's bytes: written by a reading thread, delivered while they arrive.
struct Chunk {
  std::unique_ptr<char[]> bytes;
  std::size_t capacity = 0;
  std::size_t length = 0;  // what the range must deliver
  std::size_t filled = 0;  // [0, filled) written; guarded by ReadState::mutex
};

// Chunks no one holds any more, kept for the next ranges: fresh memory costs a page fault
// per 4 KiB. Shared with the chunks' deleters, since a sink may hold a piece past the read.
struct ChunkPool {
  std::mutex mutex;
  std::vector<std::unique_ptr<Chunk>> free;

  std::shared_ptr<Chunk> take(const std::shared_ptr<ChunkPool>& self) {
    std::unique_ptr<Chunk> chunk;
    {
      std::lock_guard lock(mutex);
      if (!free.empty()) {
        chunk = std::move(free.back());
        free.pop_back();
      }
    }
    if (!chunk) chunk = std::make_unique<Chunk>();
    return std::shared_ptr<Chunk>(chunk.release(), [self](Chunk* released) {
      std::unique_ptr<Chunk> owned(released);
      std::lock_guard lock(self->mutex);
      self->free.push_back(std::move(owned));
    });
  }
};

// What the reading threads and the delivering thread share.
struct ReadState {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint64_t, std::shared_ptr<Chunk>> started;  // by index, not yet delivered in full
  std::shared_ptr<ChunkPool> pool = std::make_shared<ChunkPool>();
  std::uint64_t next_fetch = 0;
  std::uint64_t delivering = 0;  // index of the chunk the sink is being given
  std::size_t awaited = 0;       // bytes of that chunk the sink waits for
  std::optional<Error> failure;
  std::atomic<bool> stop{false};
};

std::string range_text(std::uint64_t offset, std::uint64_t length) {
  return "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

}  // namespace

std::size_t default_chunk_bytes(std::uint64_t object_size, unsigned concurrency) {
  constexpr std::uint64_t kMin = 8u << 20, kMax = 32u << 20;
  const std::uint64_t share = object_size / (4 * std::max(concurrency, 1u));
  return static_cast<std::size_t>(std::clamp(share, kMin, kMax));
}

Status read_in_parallel(ObjectStore& store, std::string_view key, const ByteSink& sink,
                        const ParallelReadOptions& options) {
  return read_in_parallel(
      store, key, [&sink](const SharedBytes& piece) { return sink(piece.bytes); }, options);
}

Status read_in_parallel(ObjectStore& store, std::string_view key, const SharedByteSink& sink,
                        const ParallelReadOptions& options) {
  const unsigned wanted = options.concurrency ? options.concurrency : store.parallel_reads();
  const ByteSink whole = [&sink](std::string_view bytes) { return sink(SharedBytes{bytes, nullptr}); };
  if (wanted <= 1) return store.read(key, ByteRange{}, whole);
  auto before = store.stat(key);
  if (!before) return std::unexpected(before.error());
  const std::uint64_t size = before->size;
  const std::uint64_t chunk_bytes =
      options.chunk_bytes ? options.chunk_bytes : default_chunk_bytes(size, wanted);
  const std::uint64_t chunks = (size + chunk_bytes - 1) / chunk_bytes;
  if (chunks <= 1) return store.read(key, ByteRange{}, whole);
  const auto threads = static_cast<unsigned>(std::min<std::uint64_t>(wanted, chunks));

  ReadState state;
  auto fail = [&](Error error) {
    std::lock_guard lock(state.mutex);
    if (!state.failure) state.failure = std::move(error);
    state.stop = true;
    state.changed.notify_all();
  };
  auto fetch_chunks = [&] {
    while (true) {
      std::uint64_t index = 0;
      Chunk* chunk = nullptr;
      {
        std::unique_lock lock(state.mutex);
        state.changed.wait(lock, [&] {
          return state.stop || state.next_fetch >= chunks || state.next_fetch <= state.delivering + threads;
        });
        if (state.stop || state.next_fetch >= chunks) return;
        index = state.next_fetch++;
        std::shared_ptr<Chunk> owned = state.pool->take(state.pool);
        owned->filled = 0;
        owned->length = static_cast<std::size_t>(std::min(chunk_bytes, size - index * chunk_bytes));
        chunk = owned.get();
        state.started.emplace(index, std::move(owned));
      }
      const std::uint64_t offset = index * chunk_bytes;
      const std::size_t length = chunk->length;
      if (chunk->capacity < length) {
        chunk->bytes = std::make_unique_for_overwrite<char[]>(length);
        chunk->capacity = length;
      }
      std::size_t written = 0;  // this thread's copy of chunk->filled
      Status got = store.read(key, ByteRange{offset, length}, [&](std::string_view bytes) -> Status {
        if (state.stop)
          return make_error(ErrorKind::Unavailable, "read of '" + std::string(key) + "' stopped");
        if (written + bytes.size() > length)
          return make_error(ErrorKind::Corrupt, "'" + std::string(key) + "' answered more than the " +
                                                    range_text(offset, length) + " asked for");
        std::memcpy(chunk->bytes.get() + written, bytes.data(), bytes.size());
        written += bytes.size();
        std::lock_guard lock(state.mutex);
        chunk->filled = written;
        // Wake the sink only for a piece worth a wake-up (each one is a context switch).
        if (index == state.delivering && written >= state.awaited) state.changed.notify_all();
        return {};
      });
      if (got && written != length)
        got = make_error(ErrorKind::Unavailable, "'" + std::string(key) + "' ended after " +
                                                     std::to_string(written) + " of the " +
                                                     std::to_string(length) + " bytes of " +
                                                     range_text(offset, length) + " (changed while read?)");
      if (!got) return fail(got.error());
    }
  };

  std::vector<std::thread> readers;
  for (unsigned i = 0; i < threads; ++i) readers.emplace_back(fetch_chunks);

  Status delivered;
  for (std::uint64_t index = 0; index < chunks && delivered; ++index) {
    std::size_t given = 0;
    std::shared_ptr<Chunk> chunk;
    while (true) {
      std::size_t filled = 0;
      {
        std::unique_lock lock(state.mutex);
        state.changed.wait(lock, [&] {
          if (state.stop) return true;
          auto it = state.started.find(index);
          if (it == state.started.end()) return false;
          const std::size_t left = it->second->length - given;
          state.awaited = given + std::min(left, std::max<std::size_t>(options.min_piece_bytes, 1));
          return it->second->filled >= state.awaited;
        });
        if (state.stop) break;
        chunk = state.started.find(index)->second;
        filled = chunk->filled;
      }
      delivered = sink(SharedBytes{std::string_view(chunk->bytes.get() + given, filled - given), chunk});
      given = filled;
      if (!delivered || given == chunk->length) break;
    }
    if (!delivered || state.stop) break;
    std::lock_guard lock(state.mutex);
    state.started.erase(index);  // back to the pool once the sink lets go of its pieces too
    state.delivering = index + 1;
    state.awaited = 0;  // the next chunk's first bytes wake the sink, which then asks for a piece
    state.changed.notify_all();
  }
  {
    std::lock_guard lock(state.mutex);
    state.stop = true;
    state.changed.notify_all();
  }
  for (auto& reader : readers) reader.join();
  if (!delivered) return delivered;
  if (state.failure) return std::unexpected(*state.failure);

  auto after = store.stat(key);
  if (!after) return std::unexpected(after.error());
  if (after->size != before->size || after->version != before->version)
    return make_error(ErrorKind::Unavailable,
                      "'" + std::string(key) + "' changed while it was being read (version '" +
                          before->version + "', now '" + after->version + "'): read it again");
  return {};
}

}  // namespace apex
