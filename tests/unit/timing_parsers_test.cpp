// The GR Cup timing parsers on the three lap-event schemas, the official files, and
// bad input: every error names the file, bad rows are counted and skipped.
#include <gtest/gtest.h>

#include "formats/lap_events_parser.h"
#include "formats/official_timing_parser.h"

namespace apex {
namespace {

TEST(LapEvents, SchemaA_BarberStyle) {
  auto events = parse_lap_events(
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,timestamp,"
      "vehicle_id,"
      "vehicle_number\r\n"
      ",3,I_R06,R1,kafka:gr-raw,2025-09-06T18:40:41.927Z,GR86-002-000,0,2025-09-06T18:40:41.776Z,GR86-002-"
      "000,0\r\n"
      ",32768,I_R06,R1,kafka:gr-raw,2025-09-06T18:42:28.189Z,GR86-002-000,0,2025-09-06T18:42:25.505Z,GR86-"
      "002-000,0\r\n",
      "R1_barber_lap_start.csv");
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->events.size(), 2u);
  EXPECT_EQ(events->events[0].vehicle_id, "GR86-002-000");
  EXPECT_EQ(events->events[0].lap, 3);
  EXPECT_EQ(events->events[1].lap, 32768);
  EXPECT_FALSE(events->events[0].value_ms);
}

TEST(LapEvents, SchemaB_ValueColumn) {
  auto events = parse_lap_events(
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,outing,timestamp,value,vehicle_id\r\n"
      ",4,e,R1,s,2025-07-19T18:04:18.000Z,0,2025-07-19T18:04:17.000Z,98123,GR86-004-78\r\n",
      "vir_lap_time_R1.csv");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->events[0].value_ms, 98123);
}

TEST(LapEvents, SchemaC_QuotedOtherOrderNoFinalNewline) {
  auto events = parse_lap_events(
      "\"vehicle_id\",\"lap\",\"timestamp\",\"meta_time\",\"value\",\"expire_at\"\n"
      "\"GR86-031-45\",\"5\",\"2025-07-19T18:04:17.000Z\",\"2025-07-19T18:04:18.000Z\",\"110123\",,",
      "COTA_lap_time_R1.csv");
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->events[0].lap, 5);
  EXPECT_EQ(events->events[0].value_ms, 110123);
}

TEST(LapEvents, HeaderWithoutNeededColumnsNamesFileAndColumns) {
  auto events = parse_lap_events("POSITION;NUMBER;LAPS\n1;13;27\n", "R1_barber_lap_start.csv");
  ASSERT_FALSE(events);
  EXPECT_EQ(events.error().kind, ErrorKind::Corrupt);
  EXPECT_NE(events.error().message.find("R1_barber_lap_start.csv"), std::string::npos);
  EXPECT_NE(events.error().message.find("vehicle_id"), std::string::npos);
}

TEST(LapEvents, TruncatedAndMalformedRowsAreCountedAndSkipped) {
  auto events = parse_lap_events(
      "lap,timestamp,vehicle_id\n"
      "2,2025-09-06T18:40:41.776Z,GR86-002-000\n"
      "x,2025-09-06T18:40:41.776Z,GR86-002-000\n"
      "3,not-a-time,GR86-002-000\n"
      "4,2025-09-06T18:4",
      "R1_lap_end.csv");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->report.bad_rows, 3u);
  ASSERT_EQ(events->report.bad_row_reasons.size(), 3u);
  // The CSV layer's rejects (the truncated line 5) come first, then the parser's.
  EXPECT_NE(events->report.bad_row_reasons[0].find("R1_lap_end.csv line 5"), std::string::npos);
  EXPECT_NE(events->report.bad_row_reasons[1].find("R1_lap_end.csv line 3: lap"), std::string::npos);
  EXPECT_NE(events->report.bad_row_reasons[2].find("line 4: timestamp"), std::string::npos);
}

TEST(LapEvents, EmptyAndBinaryFilesAreErrors) {
  EXPECT_FALSE(parse_lap_events("", "empty_lap_start.csv"));
  auto binary = parse_lap_events(std::string("\x1f\x8b\x08\0\0\0", 6), "gz_lap_start.csv");
  ASSERT_FALSE(binary);
  EXPECT_NE(binary.error().message.find("gz_lap_start.csv"), std::string::npos);
}

TEST(Sections, BomCrlfTrailingSemicolonAndPaddedHeaders) {
  auto laps = parse_sections(
      "\xEF\xBB\xBFNUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT; "
      "CROSSING_FINISH_LINE_IN_PIT; S1; "
      "S1_IMPROVEMENT; S2; S2_IMPROVEMENT; S3;PIT_TIME;FLAG_AT_FL;\r\n"
      "13;1;8;1:37.428;0;;26.592;0;42.380;0;28.456;;GF;\r\n"
      "72;1;9;1:58.000;0;B;30.000;0;50.000;0;38.000;0:00:35.158;FCY;\r\n",
      "23_AnalysisEnduranceWithSections_Race 1.CSV");
  ASSERT_TRUE(laps) << laps.error().message;
  ASSERT_EQ(laps->laps.size(), 2u);
  EXPECT_EQ(laps->laps[0].car_number, "13");
  EXPECT_EQ(laps->laps[0].lap_time_ms, 97428);
  EXPECT_EQ(laps->laps[0].s1_ms, 26592);
  EXPECT_EQ(laps->laps[0].flag, "GF");
  EXPECT_FALSE(laps->laps[0].crossing_in_pit);
  EXPECT_TRUE(laps->laps[1].crossing_in_pit);
  EXPECT_EQ(laps->laps[1].pit_time_ms, 35158);
  EXPECT_EQ(laps->report.bad_rows, 0u);
}

TEST(Results, PositionsGapsAndFastestLap) {
  auto results = parse_results(
      "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;CLASS\n"
      "1;13;Classified;27;45:15.035;-;-;8;1:37.428;136.8;Am\n"
      "2;22;Classified;27;45:17.775;+2.740;+2.740;7;1:37.746;136.3;Am\n",
      "03_Results GR Cup Race 1 Official.CSV");
  ASSERT_TRUE(results);
  ASSERT_EQ(results->entries.size(), 2u);
  EXPECT_EQ(results->entries[0].position, 1);
  EXPECT_EQ(results->entries[0].fastest_lap_ms, 97428);
  EXPECT_EQ(results->entries[1].gap_first.ms, 2740);
  EXPECT_FALSE(results->entries[1].gap_first.laps);
}

TEST(BestLaps, TenBestWithLapNumbers) {
  auto best = parse_best_laps(
      "NUMBER;VEHICLE;CLASS;TOTAL_DRIVER_LAPS;BESTLAP_1;BESTLAP_1_LAPNUM;BESTLAP_2;BESTLAP_2_LAPNUM;AVERAGE\n"
      "2;Toyota GR86;Am;27;1:38.326;5;1:38.366;20;1:38.346\n",
      "99_Best 10 Laps By Driver_Race 1.CSV");
  ASSERT_TRUE(best);
  ASSERT_EQ(best->entries[0].best.size(), 2u);
  EXPECT_EQ(best->entries[0].best[0], (std::pair<int, std::int64_t>{5, 98326}));
  EXPECT_EQ(best->entries[0].average_ms, 98346);
}

TEST(Weather, MissingSensorReadsZeroAndBecomesUnknown) {
  auto weather = parse_weather(
      "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN\n"
      "1757184078;9/6/2025 6:41:18 PM;29.8;0;56.75;992.9;2.88;342;0\n"
      ";9/6/2025 6:42:21 PM;29.87;31.5;57.23;993.0;5.04;280;1\n",
      "26_Weather_Race 1.CSV");
  ASSERT_TRUE(weather);
  ASSERT_EQ(weather->samples.size(), 2u);
  EXPECT_FALSE(weather->samples[0].track_temp_c);
  EXPECT_EQ(weather->samples[1].track_temp_c, 31.5);
  EXPECT_EQ(weather->samples[1].time_utc_ms, 1757184141000);
  EXPECT_TRUE(weather->samples[1].rain);
}

TEST(OfficialFiles, WrongKindOfFileNamesTheFile) {
  auto wrong =
      parse_sections("TIME_UTC_SECONDS;AIR_TEMP\n1;2\n", "23_AnalysisEnduranceWithSections_Race 1.CSV");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("23_AnalysisEnduranceWithSections_Race 1.CSV"), std::string::npos);
  EXPECT_NE(wrong.error().message.find("LAP_NUMBER"), std::string::npos);
  EXPECT_FALSE(parse_results("a;b\n", "03_Results.CSV"));
  EXPECT_FALSE(parse_best_laps("a;b\n", "99_Best.CSV"));
  EXPECT_FALSE(parse_weather("a;b\n", "26_Weather.CSV"));
}

}  // namespace
// A results gap is a time, laps down, or nothing (the leader); never a time of 0.
TEST(ResultGap, TimeLapsOrNothing) {
  EXPECT_EQ(parse_result_gap("+2.740").ms, 2740);
  EXPECT_EQ(parse_result_gap("+1:02.500").ms, 62500);
  EXPECT_EQ(parse_result_gap("1 Lap").laps, 1);
  EXPECT_EQ(parse_result_gap("14 Laps").laps, 14);
  EXPECT_FALSE(parse_result_gap("14 Laps").ms);
  for (const char* none : {"", "-", "0 Laps"}) {
    EXPECT_FALSE(parse_result_gap(none).ms) << none;
    EXPECT_FALSE(parse_result_gap(none).laps) << none;
  }
}

}  // namespace apex
