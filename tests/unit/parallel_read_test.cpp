// read_in_parallel: ranged reads in flight at once, bytes delivered in order, failures and
// a change of the object mid-read reported instead of a mixed or short object.
#include "storage/parallel_read.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "storage/memory_store.h"

namespace apex {
namespace {

// A MemoryStore that asks for parallel reads and lets a test intervene in every ranged read.
class RangedStore final : public ObjectStore {
 public:
  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override {
    return inner.list(prefix, delimiter);
  }
  Result<ObjectInfo> stat(std::string_view key) override { return inner.stat(key); }
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override {
    ++reads;
    if (range.length) ++ranged_reads;
    if (on_read)
      if (auto hook = on_read(range); !hook) return hook;
    if (!on_bytes) return inner.read(key, range, sink);
    return inner.read(key, range, [&](std::string_view bytes) -> Status {
      // In pieces of 100 bytes, as a network read delivers them.
      for (std::size_t at = 0; at < bytes.size(); at += 100) {
        const std::string_view piece = bytes.substr(at, 100);
        if (auto hook = on_bytes(range, range.offset + at, piece.size()); !hook) return hook;
        if (auto ok = sink(piece); !ok) return ok;
      }
      return {};
    });
  }
  Status write(std::string_view key, const ByteSource& source) override { return inner.write(key, source); }
  Status remove(std::string_view key) override { return inner.remove(key); }
  std::string describe() const override { return "ranged test store"; }
  unsigned parallel_reads() const override { return 3; }

  MemoryStore inner;
  std::function<Status(const ByteRange&)> on_read;
  // Called before each piece of a read goes to its sink: (range read, offset, length).
  std::function<Status(const ByteRange&, std::uint64_t, std::size_t)> on_bytes;
  std::atomic<int> reads{0};
  std::atomic<int> ranged_reads{0};
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

// A sink that appends every chunk to out.
ByteSink append_to(std::string& out) {
  return [&out](std::string_view chunk) -> Status {
    out.append(chunk);
    return {};
  };
}

TEST(ParallelRead, DeliversEveryByteInOrderWhateverTheChunking) {
  for (std::size_t size : {0u, 1u, 9u, 10u, 11u, 99u, 1000u}) {
    for (std::size_t chunk : {1u, 10u, 64u}) {
      RangedStore store;
      const std::string bytes = pattern(size);
      ASSERT_TRUE(store.write_all("t/telemetry.csv", bytes));
      std::string got;
      auto read = read_in_parallel(store, "t/telemetry.csv", append_to(got), ParallelReadOptions{chunk, 0});
      ASSERT_TRUE(read) << read.error().describe();
      EXPECT_EQ(got, bytes) << "size " << size << " chunk " << chunk;
      const std::size_t chunks = (size + chunk - 1) / chunk;
      if (chunks > 1) {
        EXPECT_EQ(store.ranged_reads.load(), static_cast<int>(chunks));
      }
    }
  }
}

TEST(ParallelRead, TheFirstRangeReachesTheSinkWhileItIsStillArriving) {
  // The first range holds back its second half until the sink has had part of its first
  // half: a reader that waited for whole ranges would never get there.
  RangedStore store;
  const std::string bytes = pattern(4000);
  ASSERT_TRUE(store.write_all("k", bytes));
  std::mutex mutex;
  std::condition_variable seen;
  std::size_t delivered = 0;
  bool waited_in_vain = false;
  store.on_bytes = [&](const ByteRange& range, std::uint64_t offset, std::size_t) -> Status {
    if (range.offset != 0 || offset != 500) return {};
    std::unique_lock lock(mutex);
    // Not a timing assertion: a bound so that a regression fails instead of hanging.
    if (!seen.wait_for(lock, std::chrono::seconds(60), [&] { return delivered > 0; })) waited_in_vain = true;
    return {};
  };
  std::string got;
  auto read = read_in_parallel(
      store, "k",
      [&](std::string_view piece) -> Status {
        got.append(piece);
        std::lock_guard lock(mutex);
        delivered += piece.size();
        seen.notify_all();
        return {};
      },
      ParallelReadOptions{1000, 0, 200});
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(got, bytes);
  EXPECT_FALSE(waited_in_vain) << "the sink got nothing of the first range before it was whole";
}

TEST(ParallelRead, RangesOfSeveralMegabytesArriveWhole) {
  // Pieces of at least the default 1 MiB, and a last range shorter than the others.
  RangedStore store;
  const std::string bytes = pattern((5u << 20) + 123);
  ASSERT_TRUE(store.write_all("k", bytes));
  std::string got;
  auto read = read_in_parallel(store, "k", append_to(got), ParallelReadOptions{3u << 20, 0});
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_TRUE(got == bytes);
  EXPECT_EQ(store.ranged_reads.load(), 2);
}

TEST(ParallelRead, TheRangeSizeGrowsWithTheObjectWithinItsBounds) {
  constexpr std::size_t MiB = 1u << 20;
  EXPECT_EQ(default_chunk_bytes(1, 4), 8 * MiB);
  EXPECT_EQ(default_chunk_bytes(160 * MiB, 4), 10 * MiB);
  EXPECT_EQ(default_chunk_bytes(std::uint64_t{1} << 30, 4), 32 * MiB);
  EXPECT_EQ(default_chunk_bytes(160 * MiB, 0), 32 * MiB) << "no reads in flight counts as one";
}

TEST(ParallelRead, AStoreThatPrefersOneReadGetsOne) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  std::string got;
  ASSERT_TRUE(read_in_parallel(store, "k", append_to(got), ParallelReadOptions{10, 0}));
  EXPECT_EQ(got, pattern(100));
}

TEST(ParallelRead, AFailedRangeFailsTheReadWithTheStoresError) {
  RangedStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  store.on_read = [](const ByteRange& r) -> Status {
    if (r.offset == 50) return make_error(ErrorKind::Unavailable, "503 on bytes 50-59");
    return {};
  };
  std::string got;
  auto read = read_in_parallel(store, "k", append_to(got), ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(read.error().message, "503 on bytes 50-59");
  EXPECT_LE(got.size(), 50u) << "nothing past the failed range reaches the sink";
  EXPECT_EQ(got, pattern(100).substr(0, got.size()));
}

TEST(ParallelRead, AnObjectReplacedMidReadIsNotDeliveredAsOne) {
  RangedStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  std::atomic<bool> replaced{false};
  store.on_read = [&](const ByteRange& r) -> Status {
    if (r.offset == 30 && !replaced.exchange(true)) {
      if (auto ok = store.inner.write_all("k", std::string(100, 'Z')); !ok) return ok;
    }
    return {};
  };
  auto read = read_in_parallel(
      store, "k", [](std::string_view) -> Status { return {}; }, ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(read.error().message.find("changed while it was being read"), std::string::npos)
      << read.error().message;
}

TEST(ParallelRead, AShorterObjectIsAnErrorNotATruncatedRead) {
  RangedStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  store.on_read = [&](const ByteRange& r) -> Status {
    if (r.offset == 90) {
      if (auto ok = store.inner.write_all("k", pattern(95)); !ok) return ok;
    }
    return {};
  };
  auto read = read_in_parallel(
      store, "k", [](std::string_view) -> Status { return {}; }, ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
}

TEST(ParallelRead, TheSinksErrorStopsTheReads) {
  RangedStore store;
  ASSERT_TRUE(store.write_all("k", pattern(1000)));
  int chunks_seen = 0;
  auto read = read_in_parallel(
      store, "k",
      [&](std::string_view) -> Status {
        if (++chunks_seen == 2) return make_error(ErrorKind::Corrupt, "k line 3: not telemetry");
        return {};
      },
      ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Corrupt);
  EXPECT_EQ(chunks_seen, 2);
  EXPECT_LT(store.ranged_reads.load(), 100) << "reads stop soon after the sink fails";
}

}  // namespace
}  // namespace apex
