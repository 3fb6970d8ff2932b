// read_ranges_in_parallel: ranged reads at once, each range's bytes handed over in order on
// the thread that reads it; failures and a change of the object mid-read reported instead
// of a mixed or short object.
#include "storage/parallel_read.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "piecewise_store.h"

namespace apex {
namespace {

using test::PiecewiseStore;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

// Each range's bytes as its sink got them, by range index.
struct CollectedRanges {
  std::mutex mutex;
  std::map<std::uint64_t, std::string> ranges;
  std::set<std::thread::id> threads;
  RangeSink sink() {
    return [this](const RangePiece& piece) -> Status {
      std::lock_guard lock(mutex);
      ranges[piece.range].append(piece.bytes);
      threads.insert(std::this_thread::get_id());
      return {};
    };
  }
  std::string joined() const {
    std::string all;
    for (const auto& [index, bytes] : ranges) all += bytes;
    return all;
  }
};

Status read_all_ranges(ObjectStore& store, std::string_view key, const RangeSink& sink,
                       ParallelReadOptions options) {
  auto plan = plan_ranges(store, key, options);
  if (!plan) return std::unexpected(plan.error());
  return read_ranges_in_parallel(store, key, *plan, sink);
}

TEST(ParallelRead, EveryByteOnceInItsRangeWhateverTheRangeSize) {
  for (std::size_t size : {11u, 99u, 1000u}) {
    for (std::size_t range : {1u, 10u, 64u}) {
      PiecewiseStore store(3, 7);
      const std::string bytes = pattern(size);
      ASSERT_TRUE(store.write_all("t/telemetry.csv", bytes));
      auto plan = plan_ranges(store, "t/telemetry.csv", ParallelReadOptions{range, 0});
      ASSERT_TRUE(plan) << plan.error().describe();
      const std::size_t ranges = (size + range - 1) / range;
      if (ranges == 1) {  // one range: read the object whole instead
        EXPECT_EQ(plan->ranges, 0u);
        continue;
      }
      ASSERT_EQ(plan->ranges, ranges);
      EXPECT_EQ(plan->readers, std::min<std::size_t>(3, ranges));
      CollectedRanges got;
      auto read = read_ranges_in_parallel(store, "t/telemetry.csv", *plan, got.sink());
      ASSERT_TRUE(read) << read.error().describe();
      EXPECT_EQ(got.joined(), bytes) << "size " << size << " range " << range;
      for (const auto& [index, part] : got.ranges)
        EXPECT_EQ(part, bytes.substr(index * range, range)) << "range " << index;
      EXPECT_EQ(store.ranged_reads.load(), static_cast<int>(ranges));
    }
  }
}

TEST(ParallelRead, NoRangesForAStoreThatPrefersOneReadOrAnObjectOfOneRange) {
  MemoryStore memory;
  ASSERT_TRUE(memory.write_all("k", pattern(100)));
  auto one_read = plan_ranges(memory, "k", ParallelReadOptions{10, 0});
  ASSERT_TRUE(one_read);
  EXPECT_EQ(one_read->ranges, 0u);
  PiecewiseStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  auto one_range = plan_ranges(store, "k", ParallelReadOptions{100, 0});
  ASSERT_TRUE(one_range);
  EXPECT_EQ(one_range->ranges, 0u);
  auto missing = plan_ranges(store, "nowhere", ParallelReadOptions{10, 0});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST(ParallelRead, RangesAreReadAtOnceOnThreadsOfTheirOwn) {
  // The first range holds back its second half until another range has reached the sink:
  // readers that took one range after the other would never get there.
  PiecewiseStore store(3, 100);
  const std::string bytes = pattern(4000);
  ASSERT_TRUE(store.write_all("k", bytes));
  std::mutex mutex;
  std::condition_variable seen;
  bool other_range_seen = false;
  bool waited_in_vain = false;
  store.on_bytes = [&](const ByteRange& range, std::uint64_t offset, std::size_t) -> Status {
    if (range.offset != 0 || offset != 500) return {};
    std::unique_lock lock(mutex);
    // Not a timing assertion: a bound so that a regression fails instead of hanging.
    if (!seen.wait_for(lock, std::chrono::seconds(60), [&] { return other_range_seen; }))
      waited_in_vain = true;
    return {};
  };
  CollectedRanges got;
  std::atomic<int> started{0};
  auto plan = plan_ranges(store, "k", ParallelReadOptions{1000, 0});
  ASSERT_TRUE(plan);
  auto read = read_ranges_in_parallel(
      store, "k", *plan,
      [&](const RangePiece& piece) -> Status {
        if (piece.range != 0) {
          std::lock_guard lock(mutex);
          other_range_seen = true;
          seen.notify_all();
        }
        return got.sink()(piece);
      },
      [&] { ++started; });
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(got.joined(), bytes);
  EXPECT_FALSE(waited_in_vain) << "no other range reached the sink while the first was held";
  EXPECT_EQ(started.load(), 3) << "on_reader_start runs once on each reader";
  EXPECT_GE(got.threads.size(), 2u);  // a third reader may find every range taken
  EXPECT_FALSE(got.threads.contains(std::this_thread::get_id())) << "the caller only waits";
}

TEST(ParallelRead, TheRangeSizeGrowsWithTheObjectWithinItsBounds) {
  constexpr std::size_t MiB = 1u << 20;
  EXPECT_EQ(default_range_bytes(1, 4), 8 * MiB);
  EXPECT_EQ(default_range_bytes(160 * MiB, 4), 20 * MiB);
  EXPECT_EQ(default_range_bytes(std::uint64_t{1} << 30, 4), 128 * MiB);
  EXPECT_EQ(default_range_bytes(std::uint64_t{4} << 30, 4), 128 * MiB);
  EXPECT_EQ(default_range_bytes(160 * MiB, 0), 80 * MiB) << "no reads at once counts as one";
}

TEST(ParallelRead, AFailedRangeFailsTheReadWithTheStoresError) {
  PiecewiseStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  store.on_read = [](const ByteRange& r) -> Status {
    if (r.offset == 50) return make_error(ErrorKind::Unavailable, "503 on bytes 50-59");
    return {};
  };
  CollectedRanges got;
  auto read = read_all_ranges(store, "k", got.sink(), ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(read.error().message, "503 on bytes 50-59");
  EXPECT_FALSE(got.ranges.contains(5)) << "nothing of the failed range reaches the sink";
}

TEST(ParallelRead, AnObjectReplacedMidReadIsNotPassedOffAsOne) {
  PiecewiseStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  std::atomic<bool> replaced{false};
  store.on_read = [&](const ByteRange& r) -> Status {
    if (r.offset == 30 && !replaced.exchange(true)) {
      if (auto ok = store.inner.write_all("k", std::string(100, 'Z')); !ok) return ok;
    }
    return {};
  };
  CollectedRanges got;
  auto read = read_all_ranges(store, "k", got.sink(), ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(read.error().message.find("changed while it was being read"), std::string::npos)
      << read.error().message;
}

TEST(ParallelRead, AShorterObjectIsAnErrorNotATruncatedRead) {
  PiecewiseStore store;
  ASSERT_TRUE(store.write_all("k", pattern(100)));
  store.on_read = [&](const ByteRange& r) -> Status {
    if (r.offset == 90) {
      if (auto ok = store.inner.write_all("k", pattern(95)); !ok) return ok;
    }
    return {};
  };
  CollectedRanges got;
  auto read = read_all_ranges(store, "k", got.sink(), ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
}

TEST(ParallelRead, TheSinksErrorStopsTheReads) {
  PiecewiseStore store(3, 10);
  ASSERT_TRUE(store.write_all("k", pattern(1000)));
  std::atomic<int> pieces_seen{0};
  auto read = read_all_ranges(
      store, "k",
      [&](const RangePiece&) -> Status {
        if (++pieces_seen == 2) return make_error(ErrorKind::Corrupt, "k line 3: not telemetry");
        return {};
      },
      ParallelReadOptions{10, 0});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::Corrupt);
  EXPECT_EQ(read.error().message, "k line 3: not telemetry");
  EXPECT_LT(store.ranged_reads.load(), 100) << "reads stop soon after the sink fails";
}

}  // namespace
}  // namespace apex
