#include "formats/time_text.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace apex {
namespace {

TEST(Duration, EveryFormatInTheData) {
  EXPECT_EQ(parse_duration_ms("1:37.428"), 97428);
  EXPECT_EQ(parse_duration_ms("01:37.428"), 97428);
  EXPECT_EQ(parse_duration_ms("37.428"), 37428);
  EXPECT_EQ(parse_duration_ms("33.4"), 33400);
  EXPECT_EQ(parse_duration_ms("0:00:35.158"), 35158);
  EXPECT_EQ(parse_duration_ms("1:02:03.456"), 3723456);
  EXPECT_EQ(parse_duration_ms("+2.740"), 2740);
  EXPECT_EQ(parse_duration_ms("45:15.035"), 2715035);
  for (auto bad : {"", "-", "1:75.000", "abc", "1:2:3:4", "1 Lap", "12.3.4"})
    EXPECT_FALSE(parse_duration_ms(bad)) << bad;
}

TEST(Duration, AValueBeyondAWeekIsGarbageNotATime) {
  EXPECT_EQ(parse_duration_ms("168:00:00.000"), 168LL * 3600 * 1000);
  EXPECT_FALSE(parse_duration_ms("999999999999999999"));
  EXPECT_FALSE(parse_duration_ms("9223372036854775.807"));
  EXPECT_FALSE(parse_duration_ms("999999:00:00"));
}

TEST(Iso8601, ParsesAndFormatsMilliseconds) {
  auto t = parse_iso8601_ms("2025-09-06T18:40:41.927Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1757184041927);
  EXPECT_EQ(format_iso8601_ms(*t), "2025-09-06T18:40:41.927Z");
  EXPECT_FALSE(parse_iso8601_ms("2025-13-06T18:40:41Z"));
  EXPECT_FALSE(parse_iso8601_ms("yesterday"));
}

TEST(UsDateTime, WeatherTimes) {
  EXPECT_EQ(parse_us_datetime_ms("9/6/2025 6:41:18 PM"), 1757184078000);
  EXPECT_EQ(parse_us_datetime_ms("9/6/2025 12:00:00 AM"), 1757116800000);
  EXPECT_FALSE(parse_us_datetime_ms("13/6/2025 6:41:18 PM"));
}

TEST(LapTimeText, FormatsLikeTheTimingSystem) {
  EXPECT_EQ(format_lap_time(97428), "1:37.428");
  EXPECT_EQ(format_lap_time(3723456), "1:02:03.456");
}

}  // namespace
}  // namespace apex
