#include "formats/telemetry_parser.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "formats/time_text.h"
#include "load/telemetry_loader.h"
#include "piecewise_store.h"
#include "storage/local_store.h"
#include "storage/memory_store.h"
#include "telemetry_same_data.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

const char* kHeader =
    "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,telemetry_name,"
    "telemetry_value,timestamp,vehicle_id,vehicle_number\n";

std::string row(const std::string& vehicle, int lap, const std::string& name, const std::string& value,
                const std::string& ts, const std::string& meta = "2025-09-06T18:40:41.926Z") {
  return "," + std::to_string(lap) + ",I_R06_2025-09-07,R1,kafka:gr-raw," + meta + "," + vehicle + ",0," +
         name + "," + value + "," + ts + "," + vehicle + ",0\n";
}

Telemetry parse_ok(std::string_view bytes, TelemetryParseOptions options = {}) {
  auto t = parse_telemetry(bytes, "test.csv", options);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().describe());
  return t ? std::move(*t) : Telemetry{};
}

// The same bytes fed to a stream parser `piece` bytes at a time (split anywhere, mid-row
// and mid-quote); nullopt when a feed or the finish failed.
std::optional<Telemetry> parse_streamed(std::string_view bytes, std::size_t piece,
                                        TelemetryParseOptions options) {
  TelemetryStreamParser parser("test.csv", options);
  for (std::size_t i = 0; i < bytes.size(); i += piece)
    if (!parser.feed(bytes.substr(i, piece))) return std::nullopt;
  auto t = parser.finish();
  if (!t) return std::nullopt;
  return std::move(*t);
}

// The same bytes loaded from a store that reads in ranges of `range` bytes, `readers` at a
// time, each handed over `piece` bytes at a time: rows are cut by the ranges' edges and by
// the pieces anywhere. nullopt (and a test failure) when the load failed.
std::optional<Telemetry> load_ranged(std::string_view bytes, std::size_t range, unsigned readers,
                                     std::size_t piece, TelemetryParseOptions options = {}) {
  test::PiecewiseStore store(readers, piece);
  EXPECT_TRUE(store.write_all("test.csv", bytes));
  auto t = load_telemetry(store, "test.csv", options, ParallelReadOptions{range, readers});
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().describe());
  EXPECT_GT(store.ranged_reads.load(), 1) << "read in one range";
  if (!t) return std::nullopt;
  return std::move(*t);
}

// An independent count of a long-format file: plain getline and split on ',' (the files
// carry no quotes), distinct (vehicle, timestamp, channel) kept in std::set.
struct IndependentCount {
  std::size_t rows = 0;
  std::size_t duplicates = 0;
  std::size_t conflicting = 0;  // keys whose repeats disagree on value or lap
  std::set<std::string> vehicles;
  std::map<std::pair<std::string, std::string>, std::size_t>
      samples;  // (vehicle, channel) -> distinct timestamps
  std::set<std::string> laps;
};

IndependentCount count_independently(const fs::path& file) {
  IndependentCount c;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) header.push_back(f);
  }
  auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t vehicle = col("vehicle_id"), ts = col("timestamp"), name = col("telemetry_name"),
                    value = col("telemetry_value"), lap = col("lap");
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::pair<std::string, float>>> seen;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (line.back() == ',') f.push_back("");
    ++c.rows;
    c.vehicles.insert(f[vehicle]);
    c.laps.insert(f[lap]);
    float number = 0;
    std::from_chars(f[value].data(), f[value].data() + f[value].size(), number);
    auto& versions = seen[std::make_tuple(f[vehicle], f[ts], f[name])];
    if (versions.empty())
      ++c.samples[{f[vehicle], f[name]}];
    else
      ++c.duplicates;
    versions.emplace(f[lap], number);
  }
  for (const auto& [key, versions] : seen) c.conflicting += versions.size() > 1;
  return c;
}

void expect_matches(const Telemetry& t, const IndependentCount& c) {
  EXPECT_EQ(t.report.parse.rows, c.rows);
  EXPECT_EQ(t.report.parse.bad_rows, 0u)
      << (t.report.parse.bad_row_reasons.empty() ? "" : t.report.parse.bad_row_reasons[0]);
  EXPECT_EQ(t.report.samples_read, c.rows);
  EXPECT_EQ(t.report.duplicate_samples, c.duplicates);
  EXPECT_EQ(t.samples(), c.rows - c.duplicates);
  ASSERT_EQ(t.vehicles.size(), c.vehicles.size());
  std::size_t series = 0;
  for (const VehicleTelemetry& v : t.vehicles) {
    EXPECT_TRUE(c.vehicles.count(v.vehicle_id)) << v.vehicle_id;
    for (const ChannelSeries& s : v.channels) {
      ++series;
      const std::string name(t.channel_name(s.channel));
      auto it = c.samples.find({v.vehicle_id, name});
      ASSERT_NE(it, c.samples.end()) << v.vehicle_id << " " << name;
      EXPECT_EQ(s.size(), it->second) << v.vehicle_id << " " << name;
      EXPECT_EQ(s.value.size(), s.size());
      EXPECT_TRUE(std::adjacent_find(s.time_ms.begin(), s.time_ms.end(), std::greater_equal<>()) ==
                  s.time_ms.end())
          << "not strictly time-sorted: " << v.vehicle_id << " " << name;
      ASSERT_FALSE(s.lap_runs.empty());
      EXPECT_EQ(s.lap_runs.front().first, 0u);
    }
  }
  EXPECT_EQ(series, c.samples.size());
}

TEST(TelemetryParser, RealBarberSampleMatchesAnIndependentCount) {
  auto shared = test::shared_dir();
  if (!shared) GTEST_SKIP() << "../shared not present: skipped";
  const fs::path dir = *shared / "data" / "samples";
  const std::string name = "R1_barber_telemetry_data_sample.csv";
  if (!fs::exists(dir / name)) GTEST_SKIP() << "no " << name << " in " << dir;
  LocalStore store(dir);
  auto t = load_telemetry(store, name);
  ASSERT_TRUE(t.has_value()) << t.error().describe();
  const IndependentCount c = count_independently(dir / name);
  EXPECT_EQ(c.rows, 10000u);
  expect_matches(*t, c);
  EXPECT_EQ(t->report.conflicting_keys, c.conflicting);
  EXPECT_GT(c.duplicates, 0u);
  EXPECT_EQ(t->report.bytes, fs::file_size(dir / name));
  ASSERT_EQ(t->vehicles.size(), 1u);
  const VehicleTelemetry& car = t->vehicles[0];
  EXPECT_EQ(car.vehicle_id, "GR86-002-000");
  EXPECT_EQ(car.channels.size(), 12u);
  // The export writes newest first: sorting turned it round.
  const ChannelSeries* speed = car.find(channel::kSpeed);
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(speed->size(), (c.samples.at({"GR86-002-000", "speed"})));
  EXPECT_GT(c.conflicting, 0u);
  // Laps 2 and 3 only, as in the file, and lap 3 after lap 2 in time.
  for (const ChannelSeries& s : car.channels)
    for (const LapRun& run : s.lap_runs) EXPECT_TRUE(run.lap == 2 || run.lap == 3) << run.lap;
  ASSERT_EQ(speed->lap_runs.size(), 2u);
  EXPECT_EQ(speed->lap_runs[0].lap, 2);
  EXPECT_EQ(speed->lap_runs[1].lap, 3);
  // Values as floats: "0.34600000000000003" and GPS in decimal degrees.
  const ChannelSeries* lat = car.find(channel::kGpsLatitude);
  ASSERT_NE(lat, nullptr);
  EXPECT_NEAR(lat->value[0], 33.53, 0.01);
  // meta_time is a day and a half after the ECU clock in this file.
  ASSERT_FALSE(car.ingest_lags.empty());
  EXPECT_NEAR(static_cast<double>(car.ingest_lags.front().lag_ms), 152'000'000.0, 200'000.0);
}

TEST(TelemetryParser, CommittedDemoTelemetryMatchesAnIndependentCount) {
  const fs::path dir = test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1";
  const std::string name = "sonoma_telemetry_R1.csv";
  LocalStore store(dir);
  auto t = load_telemetry(store, name);
  ASSERT_TRUE(t.has_value()) << t.error().describe();
  const IndependentCount c = count_independently(dir / name);
  expect_matches(*t, c);
  EXPECT_EQ(t->vehicles.size(), 3u);
  const double share =
      static_cast<double>(t->report.duplicate_samples) / static_cast<double>(t->report.parse.rows);
  EXPECT_GT(share, 0.12);
  EXPECT_LT(share, 0.20);
  EXPECT_EQ(t->report.conflicting_keys, 0u);  // the demo's repeats are exact copies
  for (const VehicleTelemetry& v : t->vehicles) {
    EXPECT_EQ(v.channels.size(), 13u) << v.vehicle_id;
    std::set<int> laps;
    for (const ChannelSeries& s : v.channels)
      for (const LapRun& r : s.lap_runs) laps.insert(r.lap);
    EXPECT_EQ(laps, (std::set<int>{3, 4})) << v.vehicle_id;
  }
}

TEST(TelemetryParser, ThreadsBlockSizesSourcesAndSimdGiveTheSameModel) {
  const fs::path dir = test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 2";
  const std::string name = "sonoma_telemetry_R2.csv";
  LocalStore store(dir);
  TelemetryParseOptions baseline{1, 64u << 20};
  baseline.simd = false;  // the loop every x86-64 runs; the others take its AVX2 copy where the CPU has it
  auto reference = load_telemetry(store, name, baseline);
  ASSERT_TRUE(reference.has_value());
  auto bytes = store.read_all(name);
  ASSERT_TRUE(bytes.has_value());
  for (unsigned threads : {1u, 2u, 3u})
    for (std::size_t block : {std::size_t{100}, std::size_t{4096}, std::size_t{1} << 20}) {
      TelemetryParseOptions options{threads, block};
      auto from_store = load_telemetry(store, name, options);
      ASSERT_TRUE(from_store.has_value());
      EXPECT_TRUE(*from_store == *reference) << threads << " threads, block " << block;
      auto in_memory = parse_telemetry(*bytes, name, options);
      ASSERT_TRUE(in_memory.has_value());
      EXPECT_TRUE(*in_memory == *reference) << threads << " threads, block " << block;
    }
}

// From S3 the object is read in ranges, each parsed by the thread that receives it, and the
// rows cut by the ranges' edges are joined at the end: the model must be the whole parse's.
TEST(TelemetryParser, RangedLoadsGiveTheModelOfAWholeParse) {
  const fs::path file =
      test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 2" / "sonoma_telemetry_R2.csv";
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000000u) << file;
  auto reference = parse_telemetry(bytes, "test.csv");
  ASSERT_TRUE(reference.has_value());
  struct Case {
    std::size_t range;
    unsigned readers;
    std::size_t piece;
  };
  for (const Case c : {Case{4096, 2, 7}, Case{65536, 3, 1000}, Case{700000, 4, 100000}}) {
    auto ranged = load_ranged(bytes, c.range, c.readers, c.piece);
    ASSERT_TRUE(ranged.has_value());
    EXPECT_TRUE(*ranged == *reference)
        << "ranges of " << c.range << ", " << c.readers << " readers, pieces of " << c.piece;
  }
  // One car's load, in ranges.
  TelemetryParseOptions one_car;
  one_car.only_vehicle = reference->vehicles.front().vehicle_id;
  auto one = load_ranged(bytes, 50000, 3, 5000, one_car);
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->vehicles.size(), 1u);
  EXPECT_TRUE(test::same_vehicle_data(*reference, reference->vehicles.front(), *one, one->vehicles[0]));
}

TEST(TelemetryParser, RangedLoadsOfDamagedAndOddFilesMatchTheWholeParse) {
  std::string damaged = kHeader;
  damaged += row("GR86-002-000", 2, "speed", "101.5", "2025-09-05T00:28:20.593Z");
  damaged += row("GR86-002-000", 2, "speed", "fast", "2025-09-05T00:28:20.693Z");
  damaged += "\n,2,x,R1\n";
  std::string stray = row("GR86-002-000", 2, "speed", "102", "2025-09-05T00:28:20.793Z");
  stray.insert(stray.find("GR86"), "\"");
  damaged += stray;
  for (int i = 0; i < 30; ++i)
    damaged += row(
        i % 2 ? "GR86-002-000" : "GR86-010-16", 2, i % 3 ? "speed" : "ath", std::to_string(100 + i),
        "2025-09-05T00:28:2" + std::to_string(1 + i / 10) + "." + std::to_string(100 + i % 10 * 50) + "Z");
  damaged += row("GR86-002-000", 3, "speed", "99", "2025-09-05T00:28:20.593Z");  // a repeat, another lap
  const std::string quoted_crlf_no_final_newline =
      "\xEF\xBB\xBF\"vehicle_id\",\"timestamp\",\"telemetry_value\",\"telemetry_name\",\"lap\"\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.431Z\",195.61,\"speed\",3\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.431Z\",12.5,\"odd, \"\"quoted\"\" channel\",3\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.481Z\",196,\"speed\",32768";
  const std::string header_only_without_newline =
      std::string(kHeader).substr(0, std::string(kHeader).size() - 1);
  for (const std::string& text : {damaged, quoted_crlf_no_final_newline, header_only_without_newline}) {
    const Telemetry whole = parse_ok(text);
    // Ranges shorter than the header (its rows wait until the header is whole), about a
    // row, and a few rows; pieces of 1 byte up to whole ranges.
    for (std::size_t range : {5u, 64u, 150u, 1000u}) {
      if (range >= text.size()) continue;
      for (std::size_t piece : {1u, 3u, 1000u}) {
        auto ranged = load_ranged(text, range, 3, piece);
        ASSERT_TRUE(ranged.has_value());
        EXPECT_TRUE(*ranged == whole)
            << "ranges of " << range << ", pieces of " << piece << "\n"
            << (ranged->report.parse.bad_row_reasons.empty() ? std::string("no bad row")
                                                             : ranged->report.parse.bad_row_reasons[0]);
      }
    }
  }
  EXPECT_EQ(parse_ok(damaged).report.parse.bad_row_reasons.size(), 3u) << "the damage is there to be found";
}

TEST(TelemetryParser, ARangedLoadOfAFileThatIsNotTelemetryIsAnErrorNamingIt) {
  test::PiecewiseStore store(3, 10);
  std::string lap_end = "expire_at,lap,meta_time,timestamp,vehicle_id\n";
  for (int i = 0; i < 20; ++i)
    lap_end += ",2,2025-09-06T18:40:41.926Z,2025-09-05T00:28:20.593Z,GR86-002-000\n";
  ASSERT_TRUE(store.write_all("barber/R1_barber_lap_end.csv", lap_end));
  auto t = load_telemetry(store, "barber/R1_barber_lap_end.csv", {}, ParallelReadOptions{100, 3});
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().kind, ErrorKind::Corrupt);
  EXPECT_NE(t.error().message.find("'barber/R1_barber_lap_end.csv' is not a telemetry file"),
            std::string::npos)
      << t.error().message;

  // No line break within the header's limit: refused in range 0, before the rest is read.
  ASSERT_TRUE(store.write_all("blob.bin", std::string(5000, 'x')));
  TelemetryParseOptions small_header;
  small_header.max_header_bytes = 200;
  auto blob = load_telemetry(store, "blob.bin", small_header, ParallelReadOptions{1000, 3});
  ASSERT_FALSE(blob.has_value());
  EXPECT_EQ(blob.error().message,
            "'blob.bin' is not a telemetry file: no header line in its first 200 bytes");
  // With ranges shorter than the limit, the same answer once every range is in.
  auto blob_small_ranges = load_telemetry(store, "blob.bin", small_header, ParallelReadOptions{50, 3});
  ASSERT_FALSE(blob_small_ranges.has_value());
  EXPECT_EQ(blob_small_ranges.error().message, blob.error().message);
}

TEST(TelemetryParser, OneVehicleLoadEqualsThatVehicleOfTheWholeLoad) {
  const fs::path dir = test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1";
  const std::string name = "sonoma_telemetry_R1.csv";
  LocalStore store(dir);
  auto whole = load_telemetry(store, name);
  ASSERT_TRUE(whole.has_value());
  ASSERT_GE(whole->vehicles.size(), 2u);
  for (const VehicleTelemetry& expected : whole->vehicles) {
    TelemetryParseOptions options;
    options.only_vehicle = expected.vehicle_id;
    auto one = load_telemetry(store, name, options);
    ASSERT_TRUE(one.has_value()) << one.error().describe();
    ASSERT_EQ(one->vehicles.size(), 1u);
    EXPECT_TRUE(test::same_vehicle_data(*whole, expected, *one, one->vehicles[0])) << expected.vehicle_id;
    EXPECT_EQ(one->report.parse.rows, whole->report.parse.rows) << "every row is read";
    EXPECT_GT(one->report.rows_of_other_vehicles, 0u);
    EXPECT_LT(one->memory_bytes(), whole->memory_bytes());
  }
  TelemetryParseOptions absent;
  absent.only_vehicle = "GR86-999-999";
  auto none = load_telemetry(store, name, absent);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->vehicles.empty());
  EXPECT_EQ(none->report.rows_of_other_vehicles, whole->report.parse.rows - whole->report.parse.bad_rows);
}

// Found by the fuzz target (tests/fuzz/corpus/one_vehicle_unknown_channel_order.csv): a
// one-vehicle load never interns the unknown channels only other cars have, so the same
// channel can get another id there. The samples must still be the same, by name.
TEST(TelemetryParser, OneVehicleLoadKeepsSamplesWhenOtherCarsHaveOtherUnknownChannels) {
  std::string text = kHeader;
  text += row("GR86-002-000", 2, "mystery_a", "1", "2025-09-05T00:28:20.593Z");
  text += row("GR86-004-000", 2, "mystery_b", "2", "2025-09-05T00:28:20.593Z");
  text += row("GR86-004-000", 2, "speed", "120.5", "2025-09-05T00:28:20.693Z");
  text += row("GR86-002-000", 2, "mystery_b", "3", "2025-09-05T00:28:20.693Z");
  const Telemetry whole = parse_ok(text);
  ASSERT_EQ(whole.vehicles.size(), 2u);
  TelemetryParseOptions options;
  options.only_vehicle = "GR86-004-000";
  const Telemetry one = parse_ok(text, options);
  ASSERT_EQ(one.vehicles.size(), 1u);
  const VehicleTelemetry& expected = whole.vehicles[1];
  ASSERT_EQ(expected.vehicle_id, "GR86-004-000");
  EXPECT_NE(one.channel_id("mystery_b"), whole.channel_id("mystery_b")) << "ids are local to a load";
  EXPECT_FALSE(one.channel_id("mystery_a").has_value());
  EXPECT_TRUE(test::same_vehicle_data(whole, expected, one, one.vehicles[0]));
  const ChannelSeries* mystery = one.vehicles[0].find(*one.channel_id("mystery_b"));
  ASSERT_NE(mystery, nullptr);
  EXPECT_EQ(mystery->value, std::vector<float>{2.0f});
  // The helper itself can tell a difference: the other car's samples are not these.
  EXPECT_FALSE(test::same_vehicle_data(whole, whole.vehicles[0], one, one.vehicles[0]));
}

// Found by the fuzz target (tests/fuzz/corpus/one_vehicle_quoted_long_id.csv): a one-car
// load of a quoted row unquoted the vehicle twice, which could grow the unquoting buffer
// under the views already taken (a use-after-free under ASan). A first quoted row with a long
// vehicle id is the case: the buffer is sized for that row alone.
TEST(TelemetryParser, OneVehicleLoadOfQuotedRowsWithALongVehicleId) {
  const std::string vehicle(120, 'V');
  const std::string text = std::string(kHeader) +
                           "\"\",\"2\",\"I_R06\",\"R1\",\"kafka\",\"2025-09-06T18:40:41.926Z\",\"x\",\"0\","
                           "\"speed\",\"101.5\",\"2025-09-05T00:28:20.593Z\",\"" +
                           vehicle + "\",\"0\"\n";
  TelemetryParseOptions options;
  options.only_vehicle = vehicle;
  const Telemetry one = parse_ok(text, options);
  ASSERT_EQ(one.vehicles.size(), 1u);
  EXPECT_EQ(one.vehicles[0].vehicle_id, vehicle);
  ASSERT_EQ(one.vehicles[0].channels.size(), 1u);
  EXPECT_EQ(one.vehicles[0].channels[0].value, std::vector<float>{101.5f});
  EXPECT_EQ(one.channel_name(one.vehicles[0].channels[0].channel), "speed");
}

TEST(TelemetryParser, BadRowsAreCountedWithFileAndLine) {
  std::string text = kHeader;
  text += row("GR86-002-000", 2, "speed", "101.5", "2025-09-05T00:28:20.593Z");  // line 2
  text += row("GR86-002-000", 2, "speed", "fast", "2025-09-05T00:28:20.693Z");   // line 3: value
  text += row("GR86-002-000", 2, "speed", "99", "yesterday");                    // line 4: timestamp
  text += "\n";                                                                  // line 5: blank, not a row
  text += ",2,x,R1\n";                                                           // line 6: fields
  text += row("", 2, "speed", "99", "2025-09-05T00:28:20.793Z");                 // line 7: vehicle
  text += row("GR86-002-000", 2, "", "99", "2025-09-05T00:28:20.893Z");          // line 8: name
  text += row("GR86-002-000", 2, "speed", "", "2025-09-05T00:28:20.993Z");       // line 9: empty value
  text += row("GR86-002-000", 3, "speed", "102", "2025-09-05T00:28:21.093Z");    // line 10
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.rows, 8u);
  EXPECT_EQ(t.report.parse.bad_rows, 6u);
  ASSERT_EQ(t.report.parse.bad_row_reasons.size(), 5u);
  EXPECT_EQ(t.report.parse.bad_row_reasons[0],
            "test.csv line 3: telemetry_value of 'speed' is not a number: 'fast'");
  EXPECT_EQ(t.report.parse.bad_row_reasons[1],
            "test.csv line 4: timestamp is not an ISO-8601 time: 'yesterday'");
  EXPECT_EQ(t.report.parse.bad_row_reasons[2], "test.csv line 6: 4 fields, the header has 13");
  EXPECT_EQ(t.report.parse.bad_row_reasons[3], "test.csv line 7: empty vehicle_id");
  EXPECT_EQ(t.report.parse.bad_row_reasons[4], "test.csv line 8: empty telemetry_name");
  // Control bytes in a quoted field are written out, not passed on.
  const std::string nul_time = std::string("2025-09-05T00:28:20") + '\0' + ".100Z";
  Telemetry with_nul = parse_ok(kHeader + row("GR86-002-000", 2, "speed", "98", "2025-09-05T00:28:20.000Z") +
                                row("GR86-002-000", 2, "speed", "99", nul_time));
  ASSERT_EQ(with_nul.report.parse.bad_row_reasons.size(), 1u);
  EXPECT_EQ(with_nul.report.parse.bad_row_reasons[0],
            "test.csv line 3: timestamp is not an ISO-8601 time: '2025-09-05T00:28:20\\x00.100Z'");
  ASSERT_EQ(t.vehicles.size(), 1u);
  EXPECT_EQ(t.samples(), 2u);
  // The same lines whatever the blocks.
  Telemetry small_blocks = parse_ok(text, TelemetryParseOptions{2, 16});
  EXPECT_TRUE(small_blocks == t);
}

TEST(TelemetryParser, AFileThatIsNotTelemetryIsAnErrorNamingIt) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all(
      "barber/R1_barber_lap_end.csv",
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,"
      "timestamp,vehicle_id,vehicle_number\r\n,2,I,R1,k,2025-09-06T18:40:41.926Z,GR86-002-000,0,"
      "2025-09-05T00:28:20.593Z,GR86-002-000,0\r\n"));
  auto t = load_telemetry(store, "barber/R1_barber_lap_end.csv");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().kind, ErrorKind::Corrupt);
  EXPECT_NE(t.error().message.find("'barber/R1_barber_lap_end.csv' is not a telemetry file"),
            std::string::npos)
      << t.error().message;

  auto empty = parse_telemetry("", "empty.csv");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message.find("empty.csv"), std::string::npos);

  auto binary = parse_telemetry(std::string(3u << 20, 'x'), "blob.bin");
  ASSERT_FALSE(binary.has_value());
  EXPECT_NE(binary.error().message.find("blob.bin"), std::string::npos);

  // An executable named like telemetry: said to be binary, not quoted byte for byte.
  std::string elf(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\xc0\xff\n,timestamp,vehicle_id\n",
      22);
  auto executable = parse_telemetry(elf, "R1_telemetry.csv");
  ASSERT_FALSE(executable.has_value());
  EXPECT_EQ(executable.error().message,
            "'R1_telemetry.csv' is binary, not a CSV file (NUL byte at offset 7)");

  auto missing = load_telemetry(store, "nowhere.csv");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);

  // The committed demo lap file has a `value` column (the layout of COTA, Sonoma, Sebring):
  // it must not pass for JSON-in-CSV telemetry with every row bad.
  const std::filesystem::path lap_file =
      test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1" / "sonoma_lap_start_time_R1.csv";
  std::ifstream in(lap_file, std::ios::binary);
  const std::string lap_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(lap_bytes.empty()) << lap_file;
  auto lap = parse_telemetry(lap_bytes, "sonoma_lap_start_time_R1.csv");
  ASSERT_FALSE(lap.has_value());
  EXPECT_EQ(lap.error().kind, ErrorKind::Corrupt);
  EXPECT_NE(lap.error().message.find("not a telemetry file"), std::string::npos) << lap.error().message;
}

// Nice values of this process's threads, from /proc/self/task/*/stat (the 19th field; the
// 2nd, the name, may hold spaces, so fields are counted from its closing parenthesis).
// The threads of this process at a nice value, by thread id: ids, not a count, so a thread
// of another test ending meanwhile does not change what a test sees of its own.
std::set<std::string> threads_at_nice(int nice) {
  std::set<std::string> ids;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i)
      if (i == 19 && std::stoi(field) == nice) ids.insert(task.path().filename().string());
  }
  return ids;
}

TEST(TelemetryParser, WorkersRunTheirNiceStepsBelowTheCreatingThread) {
  errno = 0;
  const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  ASSERT_EQ(errno, 0);
  const int workers_nice = std::min(mine + 3, 19);
  if (workers_nice == mine) GTEST_SKIP() << "this test runs at the lowest priority already";
  const auto before = threads_at_nice(workers_nice);
  auto started = [&] {
    std::set<std::string> fresh;
    for (const auto& id : threads_at_nice(workers_nice))
      if (!before.contains(id)) fresh.insert(id);
    return fresh;
  };

  TelemetryParseOptions options;
  options.threads = 2;
  options.worker_nice_steps = 3;
  TelemetryStreamParser parser("nice.csv", options);
  ASSERT_TRUE(parser.feed(std::string(kHeader)));  // the header starts the workers
  const auto workers = started();
  EXPECT_EQ(workers.size(), 2u);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), mine);  // the caller keeps its own
  ASSERT_TRUE(parser.finish());
  // Joined threads leave /proc/self/task when the kernel has reaped them, a moment after the
  // join returns: look again for a while before calling one left behind.
  auto left = [&] {
    std::set<std::string> out;
    for (const auto& id : threads_at_nice(workers_nice))
      if (workers.contains(id)) out.insert(id);
    return out;
  };
  for (int i = 0; i < 200 && !left().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (const auto& id : left()) ADD_FAILURE() << "worker " << id << " still runs after finish()";
}

TEST(TelemetryParser, RangeReadersParseTheirNiceStepsBelowTheCaller) {
  errno = 0;
  const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  ASSERT_EQ(errno, 0);
  const int readers_nice = std::min(mine + 3, 19);
  if (readers_nice == mine) GTEST_SKIP() << "this test runs at the lowest priority already";
  test::PiecewiseStore store(2, 50);
  std::string text = kHeader;
  for (int i = 0; i < 20; ++i)
    text +=
        row("GR86-002-000", 2, "speed", std::to_string(100 + i),
            "2025-09-05T00:28:2" + std::to_string(i / 10) + "." + std::to_string(100 + i % 10 * 50) + "Z");
  ASSERT_TRUE(store.write_all("nice.csv", text));
  std::mutex mutex;
  std::set<int> seen;  // the nice value of each thread the pieces were read on
  store.on_bytes = [&](const ByteRange&, std::uint64_t, std::size_t) -> Status {
    const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    std::lock_guard lock(mutex);
    seen.insert(nice);
    return {};
  };
  TelemetryParseOptions options;
  options.worker_nice_steps = 3;
  auto t = load_telemetry(store, "nice.csv", options, ParallelReadOptions{300, 2});
  ASSERT_TRUE(t.has_value()) << t.error().describe();
  EXPECT_EQ(t->samples(), 20u);
  EXPECT_EQ(seen, std::set<int>{readers_nice});
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), mine);  // the caller keeps its own
}

TEST(TelemetryParser, HeaderOnlyIsAnEmptySession) {
  Telemetry t = parse_ok(std::string(kHeader).substr(0, std::string(kHeader).size() - 1));
  EXPECT_TRUE(t.vehicles.empty());
  EXPECT_EQ(t.report.parse.rows, 0u);
  EXPECT_EQ(t.channel_names.size(), kKnownChannels.size());
}

TEST(TelemetryParser, ColumnsByNameQuotesCrlfAndNoFinalNewline) {
  // Another column order, every string quoted, CRLF, a channel name with a comma, no final newline.
  std::string text =
      "\xEF\xBB\xBF\"vehicle_id\",\"timestamp\",\"telemetry_value\",\"telemetry_name\",\"lap\"\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.431Z\",195.61,\"speed\",3\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.431Z\",12.5,\"odd, \"\"quoted\"\" channel\",3\r\n"
      "\"GR86-010-16\",\"2025-07-19T18:08:50.481Z\",196,\"speed\",32768";
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.rows, 3u);
  EXPECT_EQ(t.report.parse.bad_rows, 0u) << t.report.parse.bad_row_reasons[0];
  ASSERT_EQ(t.vehicles.size(), 1u);
  const VehicleTelemetry& v = t.vehicles[0];
  const ChannelSeries* speed = v.find(channel::kSpeed);
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(speed->time_ms, (std::vector<std::int64_t>{1752948530431, 1752948530481}));
  EXPECT_EQ(speed->value, (std::vector<float>{195.61f, 196.0f}));
  EXPECT_EQ(speed->lap_at(0), 3);
  EXPECT_EQ(speed->lap_at(1), kLapCountLost);
  auto odd = t.channel_id("odd, \"quoted\" channel");
  ASSERT_TRUE(odd.has_value());
  EXPECT_GE(*odd, kKnownChannels.size());
  ASSERT_NE(v.find(*odd), nullptr);
  EXPECT_EQ(v.find(*odd)->value, std::vector<float>{12.5f});
  // Split anywhere, including inside the quoted name.
  for (std::size_t chunk : {1u, 2u, 7u, 64u}) {
    auto streamed = parse_streamed(text, chunk, TelemetryParseOptions{2, 8});
    ASSERT_TRUE(streamed.has_value()) << "chunk " << chunk;
    EXPECT_TRUE(*streamed == t) << "chunk " << chunk;
  }
}

TEST(TelemetryParser, OutOfOrderRowsAreSortedAndRepeatsRemovedKeepingAValidLap) {
  std::string text = kHeader;
  text += row("GR86-002-000", 5, "speed", "3", "2025-09-05T00:28:20.300Z");
  text += row("GR86-002-000", 5, "speed", "2", "2025-09-05T00:28:20.200Z");
  text +=
      row("GR86-002-000", 32768, "speed", "1.5", "2025-09-05T00:28:20.100Z");  // conflicting repeat, lap lost
  text += row("GR86-002-000", 5, "speed", "1", "2025-09-05T00:28:20.100Z");
  text += row("GR86-002-000", 5, "speed", "2", "2025-09-05T00:28:20.200Z");  // exact repeat
  text += row("GR86-002-000", 6, "speed", "4", "2025-09-05T00:28:21.000Z");
  Telemetry t = parse_ok(text);
  const ChannelSeries* s = t.vehicles.at(0).find(channel::kSpeed);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->value, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(s->lap_runs, (std::vector<LapRun>{{0, 5}, {3, 6}}));
  EXPECT_EQ(t.report.duplicate_samples, 2u);
  EXPECT_EQ(t.report.conflicting_keys, 1u);
  EXPECT_EQ(s->range(1757032100200, 1757032101000), (std::pair<std::size_t, std::size_t>{1, 3}));
}

TEST(TelemetryParser, NumbersParseAsFloatsExactlyAsFromChars) {
  const std::vector<std::string> values = {"0.34600000000000003",
                                           "3715",
                                           "-86.61963653564453",
                                           "33.532588958740234",
                                           "-0.074",
                                           "0",
                                           "-0",
                                           "100",
                                           "1e3",
                                           "16777217",
                                           "0.1",
                                           "123456.7",
                                           "1.0000001",
                                           "9999999999",
                                           "0.000001"};
  std::string text = kHeader;
  int ms = 100;
  for (const std::string& v : values)
    text += row("GR86-002-000", 1, "x", v, "2025-09-05T00:28:20." + std::to_string(ms++) + "Z");
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.bad_rows, 0u);
  const ChannelSeries* s = t.vehicles.at(0).find(*t.channel_id("x"));
  ASSERT_EQ(s->size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    float expected = 0;
    std::from_chars(values[i].data(), values[i].data() + values[i].size(), expected);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(s->value[i]), std::bit_cast<std::uint32_t>(expected)) << values[i];
  }
}

// The parser's number paths (float division, double division with a midpoint guard,
// std::from_chars) must give std::from_chars' float bit for bit. Random decimals of 1-19
// digits, and decimals of 15-19 digits written next to the midpoint between two adjacent
// floats, where a double result could round the wrong way.
TEST(TelemetryParser, ValuesEqualFromCharsBitForBitIncludingNearFloatMidpoints) {
  std::mt19937_64 random(20261128);
  std::vector<std::string> values;
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(random() % 19);
    std::string v = random() % 4 == 0 ? "-" : "";
    const int point = static_cast<int>(random() % static_cast<std::uint64_t>(digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point && d > 0) v += '.';
      v += static_cast<char>('0' + random() % 10);
    }
    values.push_back(v);
  }
  for (int i = 0; i < 20000; ++i) {
    // A float in [1e-3, 1e5), the midpoint to the next float (exact in double), printed
    // with 19 digits or fewer, which lands just below, on or just above it.
    const double magnitude = std::pow(10.0, -3.0 + static_cast<double>(random() % 8000) / 1000.0);
    const auto f = static_cast<float>(magnitude);
    const double midpoint = (static_cast<double>(f) + static_cast<double>(std::nextafter(f, 1e30f))) / 2;
    const int integer_digits = midpoint >= 1 ? static_cast<int>(std::floor(std::log10(midpoint))) + 1 : 1;
    const int precision = 19 - integer_digits - static_cast<int>(random() % 5);
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", precision, midpoint);
    values.emplace_back(text);
  }
  std::string text = kHeader;
  for (std::size_t i = 0; i < values.size(); ++i) {
    char ts[40];
    std::snprintf(ts, sizeof ts, "2025-09-05T%02zu:%02zu:%02zu.%03zuZ", i / 3600000, i / 60000 % 60,
                  i / 1000 % 60, i % 1000);
    text += row("GR86-002-000", 1, "x", values[i], ts);
  }
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.bad_rows, 0u);
  const ChannelSeries* s = t.vehicles.at(0).find(*t.channel_id("x"));
  ASSERT_EQ(s->size(), values.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    float expected = 0;
    std::from_chars(values[i].data(), values[i].data() + values[i].size(), expected);
    if (std::bit_cast<std::uint32_t>(s->value[i]) != std::bit_cast<std::uint32_t>(expected) && ++differ <= 5)
      ADD_FAILURE() << values[i] << ": parsed " << s->value[i] << ", std::from_chars " << expected;
  }
  EXPECT_EQ(differ, 0u);
}

TEST(TelemetryParser, TimestampsInOtherShapesAndAcrossMinutes) {
  std::string text = kHeader;
  text += row("A", 1, "speed", "1", "2025-09-05T00:28:59.999Z");
  text += row("A", 1, "speed", "2", "2025-09-05T00:29:00.000Z");
  text += row("A", 1, "speed", "3", "2025-09-05T00:29:00.5Z");         // short fraction
  text += row("A", 1, "speed", "4", "2025-09-05 00:29:01.000+00:00");  // space and offset
  text += row("A", 1, "speed", "5", "2025-09-05T00:29:60.000Z");       // leap second
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.bad_rows, 0u) << t.report.parse.bad_row_reasons.at(0);
  const ChannelSeries* s = t.vehicles.at(0).find(channel::kSpeed);
  const std::int64_t base = *parse_iso8601_ms("2025-09-05T00:28:59.999Z");
  EXPECT_EQ(s->time_ms, (std::vector<std::int64_t>{base, base + 1, base + 501, base + 1001, base + 60001}));
}

TEST(TelemetryParser, JsonInCsvVariantFillsTheSameModel) {
  std::string text =
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,timestamp,"
      "value,"
      "vehicle_id,vehicle_number\n";
  auto json_row = [](int lap, const std::string& ts, const std::string& json) {
    std::string quoted = "\"";
    for (char c : json) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return "," + std::to_string(lap) + ",I_R02,R2,kafka:gr-raw,2025-03-15T18:00:01.000Z,GR86-004-78,0," + ts +
           "," + quoted + "\",GR86-004-78,78\n";
  };
  text +=
      json_row(4, "2025-03-15T18:00:00.100Z",
               R"([{"name":"speed","value":150.5},{"name":"ath","value":99.8},{"name":"gear","value":"4"}])");
  text +=
      json_row(4, "2025-03-15T18:00:00.050Z", R"([ ["speed", 149], ["pbrake_f", null], ["nmot", 6500] ])");
  text += json_row(4, "2025-03-15T18:00:00.150Z",
                   R"([{"telemetry_name":"sp\u0065ed","telemetry_value":151},{"name":"aps","value":true}])");
  text += json_row(4, "2025-03-15T18:00:00.200Z", R"({"speed": 152})");
  text += json_row(4, "2025-03-15T18:00:00.250Z", R"([{"name":"speed","value":)");  // broken
  text += json_row(4, "2025-03-15T18:00:00.300Z",
                   R"([{"name":"speed","value":"n/a"},{"name":"ath","value":50}])");
  Telemetry t = parse_ok(text);
  EXPECT_TRUE(t.report.json_layout);
  EXPECT_EQ(t.report.parse.rows, 6u);
  EXPECT_EQ(t.report.parse.bad_rows, 2u);
  ASSERT_EQ(t.report.parse.bad_row_reasons.size(), 2u);
  EXPECT_NE(t.report.parse.bad_row_reasons[0].find("line 6: value is not a JSON array"), std::string::npos)
      << t.report.parse.bad_row_reasons[0];
  EXPECT_NE(t.report.parse.bad_row_reasons[1].find("line 7: value of 'speed' is not a number: 'n/a'"),
            std::string::npos)
      << t.report.parse.bad_row_reasons[1];
  ASSERT_EQ(t.vehicles.size(), 1u);
  const VehicleTelemetry& v = t.vehicles[0];
  EXPECT_EQ(v.find(channel::kSpeed)->value, (std::vector<float>{149, 150.5f, 151, 152}));
  EXPECT_EQ(v.find(channel::kThrottleBlade)->value, (std::vector<float>{99.8f, 50}));
  EXPECT_EQ(v.find(channel::kGear)->value, std::vector<float>{4});
  EXPECT_EQ(v.find(channel::kThrottlePedal)->value, std::vector<float>{1});
  EXPECT_EQ(v.find(channel::kBrakeFront), nullptr);  // null: no reading
  EXPECT_EQ(v.find(channel::kSpeed)->lap_at(0), 4);
  // A JSON field whose closing quote is lost costs its own row: the next line is read.
  std::string cut = json_row(4, "2025-03-15T18:00:00.350Z", R"([{"name":"speed","value":153}])");
  cut.erase(cut.find("]\"") + 1, 1);  // line 8: the quote after the array is gone
  const std::string damaged =
      text + cut + json_row(4, "2025-03-15T18:00:00.400Z", R"([{"name":"speed","value":154}])");
  Telemetry d = parse_ok(damaged);
  EXPECT_EQ(d.report.parse.rows, 8u);
  EXPECT_EQ(d.report.parse.bad_rows, 3u);
  ASSERT_EQ(d.report.parse.bad_row_reasons.size(), 3u);
  EXPECT_EQ(d.report.parse.bad_row_reasons[2],
            "test.csv line 8: unterminated quote (a quoted field cannot hold a line break)");
  ASSERT_EQ(d.vehicles.size(), 1u);
  EXPECT_EQ(d.vehicles[0].find(channel::kSpeed)->value, (std::vector<float>{149, 150.5f, 151, 152, 154}));
  EXPECT_TRUE(parse_ok(damaged, TelemetryParseOptions{2, 16}) == d);
  // Chunked anywhere, the same.
  auto streamed = parse_streamed(text, 5, TelemetryParseOptions{2, 32});
  ASSERT_TRUE(streamed.has_value());
  EXPECT_TRUE(*streamed == t);
}

TEST(TelemetryParser, RowPrefixEndsAtTheLastNewlineQuotedOrNot) {
  EXPECT_EQ(telemetry_row_prefix(""), 0u);
  EXPECT_EQ(telemetry_row_prefix("a,b"), 0u);
  EXPECT_EQ(telemetry_row_prefix("a,b\nc"), 4u);
  EXPECT_EQ(telemetry_row_prefix("a,b\nc,d\n"), 8u);
  EXPECT_EQ(telemetry_row_prefix("a,\"b\nc\",d\ne,\"f\n"), 15u);
  EXPECT_EQ(telemetry_row_prefix("a,\"b\nc"), 5u);
}

// A stray quote (found by a bad-input audit: one '"' on line 50 of a Sonoma export left 41
// of some 14,000 samples) costs its own row only: a telemetry row is one line.
TEST(TelemetryParser, AnUnterminatedQuoteCostsOnlyItsOwnRow) {
  std::string text = kHeader;
  text += row("GR86-002-000", 2, "speed", "101.5", "2025-09-05T00:28:20.593Z");  // line 2
  std::string stray = row("GR86-002-000", 2, "speed", "102", "2025-09-05T00:28:20.693Z");
  stray.insert(stray.find("GR86"), "\"");
  text += stray;                // line 3: one stray quote
  for (int i = 0; i < 40; ++i)  // lines 4-43
    text += row(
        i % 2 ? "GR86-002-000" : "GR86-010-16", 2, "speed", std::to_string(100 + i),
        "2025-09-05T00:28:2" + std::to_string(1 + i / 10) + "." + std::to_string(100 + i % 10 * 50) + "Z");
  text += row("GR86-010-16", 2, "speed", "90", "2025-09-05T00:28:30.000Z").substr(0, 20) +
          "\"";  // cut, no newline
  Telemetry t = parse_ok(text);
  EXPECT_EQ(t.report.parse.rows, 43u);
  EXPECT_EQ(t.report.parse.bad_rows, 2u);
  ASSERT_EQ(t.report.parse.bad_row_reasons.size(), 2u);
  EXPECT_EQ(t.report.parse.bad_row_reasons[0],
            "test.csv line 3: unterminated quote (a quoted field cannot hold a line break)");
  EXPECT_EQ(t.report.parse.bad_row_reasons[1],
            "test.csv line 44: unterminated quote (a quoted field cannot hold a line break)");
  ASSERT_EQ(t.vehicles.size(), 2u);
  EXPECT_EQ(t.samples(), 41u);
  // The same whatever the blocks and chunks.
  EXPECT_TRUE(parse_ok(text, TelemetryParseOptions{2, 16}) == t);
  auto streamed = parse_streamed(text, 7, TelemetryParseOptions{2, 64});
  ASSERT_TRUE(streamed.has_value());
  EXPECT_TRUE(*streamed == t);
}

TEST(TelemetryParser, ChannelAliasesResolvePerVehicle) {
  std::string text = kHeader;
  text += row("A", 1, "speed", "100", "2025-09-05T00:28:20.100Z");
  text += row("A", 1, "aps", "55", "2025-09-05T00:28:20.100Z");
  text += row("A", 1, "pbrake_r", "7", "2025-09-05T00:28:20.100Z");
  text += row("B", 1, "ath", "60", "2025-09-05T00:28:20.100Z");
  text += row("B", 1, "aps", "65", "2025-09-05T00:28:20.100Z");
  text += row("B", 1, "pbrake_f", "9", "2025-09-05T00:28:20.100Z");
  text += row("B", 1, "Custom_Chan", "1", "2025-09-05T00:28:20.100Z");
  Telemetry t = parse_ok(text);
  const VehicleTelemetry& a = *t.vehicle("A");
  const VehicleTelemetry& b = *t.vehicle("B");
  EXPECT_EQ(t.resolve(a, "vehspd_can"), a.find(channel::kSpeed));
  EXPECT_EQ(t.resolve(a, "throttle"), a.find(channel::kThrottlePedal));  // no blade channel
  EXPECT_EQ(t.resolve(b, "throttle"), b.find(channel::kThrottleBlade));
  EXPECT_EQ(t.resolve(a, "brake"), a.find(channel::kBrakeRear));
  EXPECT_EQ(t.resolve(b, "brake"), b.find(channel::kBrakeFront));
  EXPECT_EQ(t.resolve(b, "aps"), b.find(channel::kThrottlePedal));  // the name itself wins
  EXPECT_EQ(t.resolve(b, "custom_chan"), b.find(*t.channel_id("Custom_Chan")));
  EXPECT_EQ(t.resolve(b, "vehspd_can"), nullptr);
  EXPECT_EQ(t.vehicle("C"), nullptr);
}

}  // namespace
}  // namespace apex
