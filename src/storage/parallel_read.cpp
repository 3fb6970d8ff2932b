#include "storage/parallel_read.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/range_checksum.h"

namespace apex {

namespace {

std::string range_text(std::uint64_t offset, std::uint64_t length) {
  return "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

}  // namespace

std::size_t default_range_bytes(std::uint64_t object_size, unsigned concurrency) {
  constexpr std::uint64_t kMin = 8u << 20, kMax = 128u << 20;
  const std::uint64_t share = object_size / (2 * std::max(concurrency, 1u));
  return static_cast<std::size_t>(std::clamp(share, kMin, kMax));
}

Result<RangePlan> plan_ranges(ObjectStore& store, std::string_view key, const ParallelReadOptions& options) {
  RangePlan plan;
  const unsigned wanted = options.concurrency ? options.concurrency : store.parallel_reads();
  if (wanted <= 1) return plan;
  auto stat = store.stat_with_checksums(key);
  if (!stat) return std::unexpected(stat.error());
  plan.size = stat->info.size;
  plan.version = stat->info.version;
  plan.checksums = stat->checksums;
  plan.range_bytes = options.range_bytes ? options.range_bytes : default_range_bytes(plan.size, wanted);
  const std::uint64_t ranges = (plan.size + plan.range_bytes - 1) / plan.range_bytes;
  if (ranges <= 1) return plan;
  plan.ranges = ranges;
  plan.readers = static_cast<unsigned>(std::min<std::uint64_t>(wanted, ranges));
  return plan;
}

Status read_ranges_in_parallel(ObjectStore& store, std::string_view key, const RangePlan& plan,
                               const RangeSink& sink, const std::function<void()>& on_reader_start,
                               bool* checksum_mismatch) {
  RangeChecksum checksum(plan.checksums, plan.size, plan.range_bytes);
  std::atomic<std::uint64_t> next_range{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::optional<Error> failure;
  auto fail = [&](Error error) {
    {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::move(error);
      stop = true;
    }
    checksum.abandon();  // readers waiting for the front to catch up would wait for good
  };
  auto read_ranges = [&](unsigned reader) {
    if (on_reader_start) on_reader_start();
    for (std::uint64_t range = next_range++; range < plan.ranges && !stop; range = next_range++) {
      const std::uint64_t offset = range * plan.range_bytes;
      const std::uint64_t length = std::min(plan.range_bytes, plan.size - offset);
      std::uint64_t got = 0;
      Status read = store.read(key, ByteRange{offset, length}, [&](std::string_view bytes) -> Status {
        if (stop) return make_error(ErrorKind::Unavailable, "read of '" + std::string(key) + "' stopped");
        if (got + bytes.size() > length)
          return make_error(ErrorKind::Corrupt, "'" + std::string(key) + "' answered more than the " +
                                                    range_text(offset, length) + " asked for");
        got += bytes.size();
        checksum.take(range, bytes);
        return sink(RangePiece{reader, range, bytes});
      });
      if (read && got != length)
        read = make_error(ErrorKind::Unavailable, "'" + std::string(key) + "' ended after " +
                                                      std::to_string(got) + " of the " +
                                                      std::to_string(length) + " bytes of " +
                                                      range_text(offset, length) + " (changed while read?)");
      if (!read) return fail(read.error());
      checksum.finish_range(range);
    }
  };
  // Threads of their own, the caller only waiting: on_reader_start may lower a reader's
  // priority, which an unprivileged thread cannot raise again.
  std::vector<std::thread> readers;
  for (unsigned i = 0; i < plan.readers; ++i) readers.emplace_back(read_ranges, i);
  for (auto& reader : readers) reader.join();
  if (failure) return std::unexpected(*failure);
  if (auto verified = checksum.check(key); !verified) {
    if (checksum_mismatch) *checksum_mismatch = true;
    return verified;
  }

  auto after = store.stat(key);
  if (!after) return std::unexpected(after.error());
  if (after->size != plan.size || after->version != plan.version)
    return make_error(ErrorKind::Unavailable,
                      "'" + std::string(key) + "' changed while it was being read (version '" + plan.version +
                          "', now '" + after->version + "'): read it again");
  return {};
}

}  // namespace apex
