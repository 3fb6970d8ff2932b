// finish_series over stages built by hand (formats/telemetry/series_finish.h): the merge of
// ascending stages straight into the model, and each of its ways back to the general sort.
// Through the parser these cases depend on which worker took which block; here they do not.
#include "formats/telemetry/series_finish.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace apex::telemetry_parsing {
namespace {

constexpr std::uint16_t kLap3 = 3;

Stage stage_of(std::initializer_list<std::pair<std::int64_t, float>> samples, std::uint16_t lap = kLap3) {
  Stage stage;
  for (auto [time, value] : samples) stage.append(time, lap, value);
  return stage;
}

SeriesTask finished(std::vector<Stage*> parts) {
  SeriesTask task;
  for (Stage* part : parts) task.count += part->count();
  task.parts = std::move(parts);
  finish_series(task);
  return task;
}

std::vector<std::int64_t> times_of(const ChannelSeries& series) {
  std::vector<std::int64_t> times;
  for (std::size_t i = 0; i < series.size(); ++i) times.push_back(series.time_ms[i]);
  return times;
}

TEST(SeriesFinish, AscendingStagesAreMergedInTimeOrder) {
  Stage a = stage_of({{1000, 1}, {3000, 3}, {5000, 5}});
  Stage b = stage_of({{2000, 2}, {4000, 4}});
  const SeriesTask task = finished({&a, &b});
  EXPECT_EQ(times_of(task.series), (std::vector<std::int64_t>{1000, 2000, 3000, 4000, 5000}));
  EXPECT_EQ(task.series.value, (std::vector<float>{1, 2, 3, 4, 5}));
  EXPECT_EQ(task.duplicates, 0u);
  EXPECT_EQ(a.count(), 0u);  // the stages are freed once the series is built
}

// Each stage spans less than 2^31 ms from its first sample, but the two together span more
// than the merge's 4-byte offsets hold (49.7 days): an ECU clock that jumped.
TEST(SeriesFinish, StagesSpanningMoreThanFourByteOffsetsKeepTheirTimes) {
  const std::int64_t far = (std::int64_t{1} << 32) + 5000;
  Stage a = stage_of({{1000, 1}, {2000, 2}});
  Stage b = stage_of({{far, 3}});
  const SeriesTask task = finished({&a, &b});
  EXPECT_EQ(times_of(task.series), (std::vector<std::int64_t>{1000, 2000, far}));
  EXPECT_EQ(task.series.value, (std::vector<float>{1, 2, 3}));
}

TEST(SeriesFinish, ATimeInTwoStagesIsKeptOnceAndCountedAsADuplicate) {
  Stage a = stage_of({{1000, 1}, {2000, 2}});
  Stage b = stage_of({{2000, 2}, {3000, 3}});
  const SeriesTask same = finished({&a, &b});
  EXPECT_EQ(times_of(same.series), (std::vector<std::int64_t>{1000, 2000, 3000}));
  EXPECT_EQ(same.duplicates, 1u);
  EXPECT_EQ(same.conflicts, 0u);

  // Repeats that differ: the lowest value bits are kept, and the key counts as conflicting.
  Stage c = stage_of({{1000, 1}, {2000, 9}});
  Stage d = stage_of({{2000, 2}, {3000, 3}});
  const SeriesTask differing = finished({&c, &d});
  EXPECT_EQ(differing.series.value, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(differing.duplicates, 1u);
  EXPECT_EQ(differing.conflicts, 1u);
}

TEST(SeriesFinish, AStageGoingBackInTimeIsSorted) {
  Stage a = stage_of({{3000, 3}, {1000, 1}, {2000, 2}});
  Stage b = stage_of({{2500, 25}});
  const SeriesTask task = finished({&a, &b});
  EXPECT_EQ(times_of(task.series), (std::vector<std::int64_t>{1000, 2000, 2500, 3000}));
  EXPECT_EQ(task.series.value, (std::vector<float>{1, 2, 25, 3}));
}

TEST(SeriesFinish, TheLapColumnFollowsItsSamplesInBothPaths) {
  for (bool ascending : {true, false}) {
    Stage a = ascending ? stage_of({{1000, 1}, {2000, 2}}) : stage_of({{2000, 2}, {1000, 1}});
    Stage b = stage_of({{3000, 3}, {4000, 4}}, 4);
    const SeriesTask task = finished({&a, &b});
    ASSERT_EQ(task.series.size(), 4u) << "ascending " << ascending;
    EXPECT_EQ(task.series.lap_at(0), 3) << "ascending " << ascending;
    EXPECT_EQ(task.series.lap_at(1), 3) << "ascending " << ascending;
    EXPECT_EQ(task.series.lap_at(2), 4) << "ascending " << ascending;
    EXPECT_EQ(task.series.lap_at(3), 4) << "ascending " << ascending;
  }
}

}  // namespace
}  // namespace apex::telemetry_parsing
