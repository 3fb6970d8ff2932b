#include "storage/parallel_read.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace apex {

namespace {

// What the reading threads and the delivering thread share.
struct ReadState {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint64_t, std::string> ready;  // fetched chunks by index, not yet delivered
  std::vector<std::string> spare;              // delivered buffers, reused to avoid page faults
  std::uint64_t next_fetch = 0;
  std::uint64_t delivered = 0;
  std::optional<Error> failure;
  std::atomic<bool> stop{false};
};

std::string range_text(std::uint64_t offset, std::uint64_t length) {
  return "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

}  // namespace

Status read_in_parallel(ObjectStore& store, std::string_view key, const ByteSink& sink,
                        const ParallelReadOptions& options) {
  const unsigned wanted = options.concurrency ? options.concurrency : store.parallel_reads();
  if (wanted <= 1) return store.read(key, ByteRange{}, sink);
  auto before = store.stat(key);
  if (!before) return std::unexpected(before.error());
  const std::uint64_t size = before->size;
  const std::uint64_t chunk = std::max<std::uint64_t>(options.chunk_bytes, 1);
  const std::uint64_t chunks = (size + chunk - 1) / chunk;
  if (chunks <= 1) return store.read(key, ByteRange{}, sink);
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
      std::string buffer;
      {
        std::unique_lock lock(state.mutex);
        // A read may run ahead of the sink by at most `threads` chunks.
        state.changed.wait(lock, [&] {
          return state.stop || state.next_fetch >= chunks || state.next_fetch < state.delivered + threads;
        });
        if (state.stop || state.next_fetch >= chunks) return;
        index = state.next_fetch++;
        if (!state.spare.empty()) {
          buffer = std::move(state.spare.back());
          state.spare.pop_back();
        }
      }
      const std::uint64_t offset = index * chunk;
      const std::uint64_t length = std::min(chunk, size - offset);
      buffer.clear();
      buffer.reserve(length);
      Status got = store.read(key, ByteRange{offset, length}, [&](std::string_view bytes) -> Status {
        if (state.stop)
          return make_error(ErrorKind::Unavailable, "read of '" + std::string(key) + "' stopped");
        if (buffer.size() + bytes.size() > length)
          return make_error(ErrorKind::Corrupt, "'" + std::string(key) + "' answered more than the " +
                                                    range_text(offset, length) + " asked for");
        buffer.append(bytes);
        return {};
      });
      if (got && buffer.size() != length)
        got = make_error(ErrorKind::Unavailable, "'" + std::string(key) + "' ended after " +
                                                     std::to_string(buffer.size()) + " of the " +
                                                     std::to_string(length) + " bytes of " +
                                                     range_text(offset, length) + " (changed while read?)");
      if (!got) return fail(got.error());
      std::lock_guard lock(state.mutex);
      state.ready.emplace(index, std::move(buffer));
      state.changed.notify_all();
    }
  };

  std::vector<std::thread> readers;
  for (unsigned i = 0; i < threads; ++i) readers.emplace_back(fetch_chunks);

  Status delivered;
  for (std::uint64_t index = 0; index < chunks; ++index) {
    std::string buffer;
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.stop.load() || state.ready.contains(index); });
      if (state.stop) break;
      auto it = state.ready.find(index);
      buffer = std::move(it->second);
      state.ready.erase(it);
    }
    delivered = sink(buffer);
    {
      std::lock_guard lock(state.mutex);
      state.delivered = index + 1;
      state.spare.push_back(std::move(buffer));
      state.changed.notify_all();
    }
    if (!delivered) {
      state.stop = true;
      break;
    }
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
