#include "server/session_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>
#include <utility>

#include "storage/local_store.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

// Counts reads, and can hold them back, to observe the cache from outside.
class ObservedStore final : public ObjectStore {
 public:
  Result<Listing> list(std::string_view prefix, std::optional<char> d) override {
    ++lists;
    if (hold_listings) listing_released.wait();
    if (unreachable) return make_error(ErrorKind::Unavailable, "cannot list the test store: it is down");
    return inner.list(prefix, d);
  }
  Result<ObjectInfo> stat(std::string_view key) override { return inner.stat(key); }
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override {
    ++reads;
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
    if (reads_fail)
      return make_error(ErrorKind::Unavailable, "cannot read '" + std::string(key) + "': timed out");
    auto read = inner.read(key, range, sink);
    if (after_read) std::exchange(after_read, nullptr)();
    return read;
  }
  Status write(std::string_view key, const ByteSource& source) override { return inner.write(key, source); }
  Status remove(std::string_view key) override { return inner.remove(key); }
  std::string describe() const override { return "counting store"; }
  MemoryStore inner;
  std::atomic<int> lists{0}, reads{0};
  int slow_ms = 0;
  std::atomic<bool> unreachable{false};
  std::atomic<bool> reads_fail{false};
  // Listings wait for listing_released while hold_listings is set.
  std::atomic<bool> hold_listings{false};
  std::shared_future<void> listing_released;
  std::function<void()> after_read;  // runs once, after the next read
};

const char* kSections =
    "NUMBER; LAP_NUMBER; LAP_TIME; S1; S2; S3;FLAG_AT_FL\n"
    "7;1;1:40.000;30.000;40.000;30.000;GF\n7;2;1:39.500;29.900;39.800;29.800;GF\n";

TEST(SessionCache, ConcurrentColdRequestsLoadOnce) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  store.slow_ms = 50;
  SessionCache cache(store, 64 << 20, std::chrono::hours(1));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto s = cache.session("t", "R1");
      if (s && (*s)->analysis.best_lap && (*s)->analysis.best_lap->lap_time_ms == 99500) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(store.reads, 1) << "eight cold requests must trigger one load";
  EXPECT_EQ(cache.stats().loads, 1u);
}

TEST(SessionCache, ChangedFileIsReloadedOnceUnchangedNever) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  SessionCache cache(store, 64 << 20, std::chrono::milliseconds(0));
  ASSERT_TRUE(cache.session("t", "R1"));
  ASSERT_TRUE(cache.session("t", "R1"));
  EXPECT_EQ(store.reads, 1);
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV",
                                    std::string(kSections) + "7;3;1:38.000;29.000;39.000;30.000;GF\n"));
  ASSERT_TRUE(cache.revalidate_now());  // what the background re-listing does on its own
  auto fresh = cache.session("t", "R1");
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)->analysis.best_lap->lap_time_ms, 98000);
  ASSERT_TRUE(cache.session("t", "R1"));
  EXPECT_EQ(store.reads, 2);
}

TEST(SessionCache, ASessionIsReloadedWhenAFileItWasComparedWithChanges) {
  // R1's report says whether its files are byte copies of R2's: a new R2 file that is one
  // must reach R1's cached report, though no file of R1 changed.
  ObservedStore store;
  const std::string r1_sections = kSections;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", r1_sections));
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 2.CSV", r1_sections + "\n"));
  SessionCache cache(store, 64 << 20, std::chrono::milliseconds(0));
  auto before = cache.session("t", "R1");
  ASSERT_TRUE(before);
  EXPECT_TRUE((*before)->session.identical_files.empty());
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 2.CSV", r1_sections));
  ASSERT_TRUE(cache.revalidate_now());
  auto after = cache.session("t", "R1");
  ASSERT_TRUE(after);
  ASSERT_EQ((*after)->session.identical_files.size(), 1u);
  EXPECT_EQ((*after)->session.identical_files[0].same_as, "t/23_AnalysisEnduranceWithSections_Race 2.CSV");
}

// A store that cannot be re-listed: the cached session is still served, and the cache
// says why its answers may be old until a listing succeeds again.
TEST(SessionCache, FailedRevalidationServesTheCachedCopyAndSaysSo) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  SessionCache cache(store, 64 << 20, std::chrono::milliseconds(0));
  ASSERT_TRUE(cache.session("t", "R1"));
  EXPECT_EQ(cache.stale_reason(), "");
  store.unreachable = true;
  EXPECT_TRUE(cache.revalidate_now()) << "the catalog held is kept";
  auto served = cache.session("t", "R1");
  ASSERT_TRUE(served) << served.error().describe();
  EXPECT_EQ((*served)->analysis.best_lap->lap_time_ms, 99500);
  EXPECT_NE(cache.stale_reason().find("it is down"), std::string::npos) << cache.stale_reason();
  EXPECT_EQ(cache.stats().stale_reason, cache.stale_reason());
  EXPECT_EQ(store.reads, 1) << "nothing is reloaded while the store is down";
  store.unreachable = false;
  ASSERT_TRUE(cache.revalidate_now());
  ASSERT_TRUE(cache.session("t", "R1"));
  EXPECT_EQ(cache.stale_reason(), "") << "a successful listing clears it";
}

TEST(SessionCache, UnknownTrackAndSessionAreNotFound) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  SessionCache cache(store, 64 << 20);
  auto no_track = cache.session("x", "R1");
  ASSERT_FALSE(no_track);
  EXPECT_EQ(no_track.error().kind, ErrorKind::NotFound);
  auto no_session = cache.session("t", "R5");
  ASSERT_FALSE(no_session);
  EXPECT_EQ(no_session.error().kind, ErrorKind::NotFound);
}

TEST(SessionCache, EvictsLeastRecentlyUsedBeyondBudget) {
  ObservedStore store;
  for (int race = 1; race <= 3; ++race)
    ASSERT_TRUE(store.inner.write_all(
        "t/23_AnalysisEnduranceWithSections_Race " + std::to_string(race) + ".CSV", kSections));
  SessionCache cache(store, 1, std::chrono::hours(1));  // room for one session only
  ASSERT_TRUE(cache.session("t", "R1"));
  ASSERT_TRUE(cache.session("t", "R2"));
  ASSERT_TRUE(cache.session("t", "R3"));
  EXPECT_EQ(cache.stats().sessions, 1u);
  EXPECT_EQ(cache.stats().evictions, 2u);
}

TEST(SessionCache, CorruptFileIsAProblemNotAFailure) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  ASSERT_TRUE(store.inner.write_all("t/R1_t_lap_start.csv", std::string("\x89PNG\r\n\x1a\n\0\0", 10)));
  SessionCache cache(store, 64 << 20);
  auto s = cache.session("t", "R1");
  ASSERT_TRUE(s);
  ASSERT_EQ((*s)->session.problems.size(), 1u);
  EXPECT_NE((*s)->session.problems[0].find("R1_t_lap_start.csv"), std::string::npos);
  EXPECT_TRUE((*s)->analysis.best_lap);
}

// A file that cannot be read until someone fixes it (here a loop of links, made after the
// catalog listed the file) costs that file only: the session loads from the others and
// names it, by key, among its problems.
TEST(SessionCache, UnreadableLocalFileIsAProblemNotAFailure) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("apex-unreadable-file-" + std::to_string(::getpid()));
  fs::remove_all(root);
  LocalStore store(root);
  ASSERT_TRUE(store.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  ASSERT_TRUE(store.write_all("t/R1_t_lap_start.csv", "vehicle_id,lap,timestamp\n"));
  SessionCache cache(store, 64 << 20, std::chrono::hours(1));
  ASSERT_TRUE(cache.catalog());
  fs::remove(root / "t" / "R1_t_lap_start.csv");
  fs::create_symlink("R1_t_lap_start.csv", root / "t" / "R1_t_lap_start.csv");
  auto s = cache.session("t", "R1");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_EQ((*s)->session.problems.size(), 1u);
  const std::string& problem = (*s)->session.problems[0];
  EXPECT_NE(problem.find("t/R1_t_lap_start.csv"), std::string::npos) << problem;
  EXPECT_EQ(problem.find(root.string()), std::string::npos) << "no path on the server's disk: " << problem;
  ASSERT_TRUE((*s)->analysis.best_lap);
  EXPECT_EQ((*s)->analysis.best_lap->lap_time_ms, 99500);
  fs::remove_all(root);
}

// A failure that may pass (a timeout) still fails the load, so the API answers 503, and
// is not kept: the next request loads the session.
TEST(SessionCache, TransientReadFailureFailsTheLoadAndIsNotKept) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  SessionCache cache(store, 64 << 20, std::chrono::hours(1));
  store.reads_fail = true;
  auto failed = cache.session("t", "R1");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::Unavailable);
  store.reads_fail = false;
  auto loaded = cache.session("t", "R1");
  ASSERT_TRUE(loaded) << loaded.error().describe();
  EXPECT_TRUE((*loaded)->session.problems.empty());
}

// Re-listing happens on the cache's own thread: a request is answered from the catalog held
// while a listing that never ends (a huge bucket, a store that hangs) is under way.
TEST(SessionCache, NoRequestWaitsForARelisting) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  SessionCache cache(store, 64 << 20, std::chrono::milliseconds(0));
  ASSERT_TRUE(cache.session("t", "R1"));
  std::promise<void> release;
  store.listing_released = release.get_future().share();
  store.hold_listings = true;
  const int lists_before = store.lists;
  auto answered = std::async(std::launch::async, [&] { return cache.session("t", "R1").has_value(); });
  // A request that re-listed itself would wait for `release`, which comes only after it.
  const bool in_time = answered.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(in_time) << "a request waited for the re-listing";
  EXPECT_TRUE(answered.get());
  store.hold_listings = false;
  ASSERT_TRUE(cache.revalidate_now());
  EXPECT_GT(store.lists, lists_before) << "the request started a re-listing in the background";
}

// A file rewritten while its session was being read: nothing mixed is kept; the request
// re-lists the store and reads the session as it is now.
TEST(SessionCache, AFileChangedWhileReadIsReadAgain) {
  ObservedStore store;
  const std::string key = "t/23_AnalysisEnduranceWithSections_Race 1.CSV";
  ASSERT_TRUE(store.inner.write_all(key, kSections));
  SessionCache cache(store, 64 << 20, std::chrono::hours(1));
  ASSERT_TRUE(cache.catalog());
  store.after_read = [&] {
    ASSERT_TRUE(
        store.inner.write_all(key, std::string(kSections) + "7;3;1:38.000;29.000;39.000;30.000;GF\n"));
  };
  auto fresh = cache.session("t", "R1");
  ASSERT_TRUE(fresh) << fresh.error().describe();
  EXPECT_EQ((*fresh)->analysis.best_lap->lap_time_ms, 98000) << "the new version, not a mix";
  EXPECT_EQ(store.reads, 2);
  ASSERT_TRUE(cache.session("t", "R1"));
  EXPECT_EQ(store.reads, 2) << "kept once read whole";
}

// A store that cannot be listed from the start: the first call says why; later ones say it
// at once, while a listing in the background tries again, and the first that succeeds
// serves.
TEST(SessionCache, AStoreThatCannotBeListedAnswersAtOnceAndRetriesInTheBackground) {
  ObservedStore store;
  ASSERT_TRUE(store.inner.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  store.unreachable = true;
  SessionCache cache(store, 64 << 20, std::chrono::milliseconds(0));
  auto first = cache.catalog();
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("it is down"), std::string::npos) << first.error().message;
  std::promise<void> release;
  store.listing_released = release.get_future().share();
  store.hold_listings = true;
  auto again = std::async(std::launch::async, [&] { return cache.catalog(); });
  const bool in_time = again.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(in_time) << "a call waited for a listing";
  EXPECT_FALSE(again.get());
  store.hold_listings = false;
  store.unreachable = false;
  ASSERT_TRUE(cache.revalidate_now());
  EXPECT_TRUE(cache.session("t", "R1"));
}

}  // namespace
}  // namespace apex
