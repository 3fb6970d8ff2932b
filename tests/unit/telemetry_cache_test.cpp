// TelemetryCache: one car's request loads the whole file when it fits the budget and that
// car alone when it does not; a whole file already loaded answers every car.
#include "server/telemetry_cache.h"

#include <gtest/gtest.h>

#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

const char* kTelemetryKey = "Sonoma/Race 1/sonoma_telemetry_R1.csv";

class TelemetryCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto info = store_.stat(kTelemetryKey);
    ASSERT_TRUE(info.has_value()) << info.error().describe();
    object_ = *info;
  }
  LocalStore store_{test::source_dir() / "data" / "sonoma-raceway"};
  ObjectInfo object_;
};

TEST_F(TelemetryCacheTest, ACarThatFitsLoadsTheWholeFileOnceForEveryCar) {
  TelemetryCache cache(store_, [] { return std::size_t{1} << 30; });
  auto first = cache.get_vehicle(object_, "GR86-022-13");
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  EXPECT_EQ((*first)->vehicles.size(), 3u);
  auto other = cache.get_vehicle(object_, "GR86-031-45");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->get(), first->get()) << "the same parsed file";
  EXPECT_EQ(cache.stats().loads, 1u);
}

TEST_F(TelemetryCacheTest, ACarBeyondTheBudgetLoadsThatCarAlone) {
  TelemetryCache cache(store_, [] { return std::size_t{1}; });
  auto a = cache.get_vehicle(object_, "GR86-022-13");
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  ASSERT_EQ((*a)->vehicles.size(), 1u);
  EXPECT_EQ((*a)->vehicles[0].vehicle_id, "GR86-022-13");
  auto b = cache.get_vehicle(object_, "GR86-031-45");
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ((*b)->vehicles.size(), 1u);
  EXPECT_EQ((*b)->vehicles[0].vehicle_id, "GR86-031-45");
  EXPECT_EQ(cache.stats().loads, 2u);
  // Evicted down to the entry just used: memory stays near one car, not the file.
  EXPECT_EQ(cache.stats().files, 1u);
  EXPECT_EQ(cache.stats().bytes, (*b)->memory_bytes());

  // Once the whole file is loaded it answers any car without another load.
  auto whole = cache.get(object_);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ((*whole)->vehicles.size(), 3u);
  auto c = cache.get_vehicle(object_, "GR86-022-13");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->get(), whole->get());
  EXPECT_EQ(cache.stats().loads, 3u);
}

TEST_F(TelemetryCacheTest, ACarWithoutTelemetryGetsNoVehicle) {
  TelemetryCache cache(store_, [] { return std::size_t{1}; });
  auto none = cache.get_vehicle(object_, "GR86-999-999");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE((*none)->vehicles.empty());
  EXPECT_GT((*none)->report.rows_of_other_vehicles, 0u);
}

}  // namespace
}  // namespace apex
