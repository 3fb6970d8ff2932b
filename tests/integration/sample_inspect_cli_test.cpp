// `apex inspect` and `apex sample` end to end, checked against counts made here with a
// reader of their own (a plain quote-aware split, no APEX parser): inspect's rows,
// vehicles, per-channel samples, duplicates and laps on the real Barber sample and on
// generated files; sample's per (vehicle, channel) counts equal ceil(n / N), kept rows
// byte-identical to input rows, lap and official files byte-identical.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_io.h"
#include "test_paths.h"

namespace {

namespace fs = std::filesystem;

using apex::test::run_command;

// Appended rather than "'" + path.string() + "'": g++ 12 -O3 warns about that concatenation
// (a -Wstringop-overflow false positive).
std::string quoted(const fs::path& path) {
  std::string out = "'";
  out += path.string();
  out += '\'';
  return out;
}

std::string apex(const std::string& args, int* code) {
  return run_command(apex::test::apex_binary().string() + " " + args + " 2>&1", code);
}

using apex::test::read_file;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("apex-sample-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Lines of a file, each with its line ending. The files here have no newline in quotes.
std::vector<std::string> lines_of(const std::string& bytes) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t nl = bytes.find('\n', start);
    std::size_t end = nl == std::string::npos ? bytes.size() : nl + 1;
    lines.push_back(bytes.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::vector<std::string> split(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::vector<std::string> fields(1);
  bool in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (in_quotes && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        in_quotes = !in_quotes;
      }
    } else if (c == ',' && !in_quotes) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// A long-format telemetry file counted independently.
struct Counted {
  std::size_t rows = 0;
  std::map<std::string, std::map<std::string, std::size_t>> rows_per_channel;  // vehicle -> channel -> rows
  std::map<std::string, std::map<std::string, std::set<std::string>>> times;   // distinct timestamps
  std::map<std::string, std::set<int>> laps;                                   // valid laps, after dedup
};

Counted count_long_file(const std::string& bytes) {
  const auto lines = lines_of(bytes);
  const auto header = split(lines.at(0));
  auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t vehicle = column("vehicle_id"), name = column("telemetry_name"), ts = column("timestamp"),
                    lap = column("lap");
  Counted c;
  // (vehicle, channel, timestamp) -> lowest valid lap among its repeats (the parser keeps that one).
  std::map<std::tuple<std::string, std::string, std::string>, int> kept_lap;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i]);
    if (f.size() != header.size()) continue;
    ++c.rows;
    ++c.rows_per_channel[f[vehicle]][f[name]];
    c.times[f[vehicle]][f[name]].insert(f[ts]);
    const int l = std::atoi(f[lap].c_str());
    const bool valid = l > 0 && l != 32768;
    auto [it, inserted] = kept_lap.emplace(std::make_tuple(f[vehicle], f[name], f[ts]), valid ? l : 0);
    if (!inserted && valid && (it->second == 0 || l < it->second)) it->second = l;
  }
  for (const auto& [key, l] : kept_lap)
    if (l > 0) c.laps[std::get<0>(key)].insert(l);
  return c;
}

// inspect --json against the independent count.
void expect_inspect_matches(const fs::path& file) {
  int code = -1;
  const std::string out = apex("inspect --json " + quoted(file), &code);
  ASSERT_EQ(code, 0) << out;
  const auto report = nlohmann::json::parse(out);
  const Counted c = count_long_file(read_file(file));

  EXPECT_EQ(report["rows"].get<std::size_t>(), c.rows);
  EXPECT_EQ(report["bad_rows"].get<std::size_t>(), 0u);
  EXPECT_EQ(report["layout"], "long");
  EXPECT_EQ(report["bytes"].get<std::size_t>(), fs::file_size(file));
  std::size_t distinct = 0;
  for (const auto& [v, channels] : c.times)
    for (const auto& [ch, times] : channels) distinct += times.size();
  EXPECT_EQ(report["samples_read"].get<std::size_t>(), c.rows);
  EXPECT_EQ(report["samples"].get<std::size_t>(), distinct);
  EXPECT_EQ(report["duplicate_samples"].get<std::size_t>(), c.rows - distinct);

  ASSERT_EQ(report["vehicles"].size(), c.times.size());
  std::size_t with_offset = 0;
  for (const auto& vehicle : report["vehicles"]) {
    const std::string id = vehicle["vehicle_id"];
    ASSERT_TRUE(c.times.contains(id)) << id;
    const auto& channels = c.times.at(id);
    EXPECT_EQ(vehicle["channels"].size(), channels.size()) << id;
    std::size_t vehicle_samples = 0;
    for (const auto& channel : vehicle["channels"]) {
      const std::string name = channel["name"];
      ASSERT_TRUE(channels.contains(name)) << id << " " << name;
      const auto& times = channels.at(name);
      EXPECT_EQ(channel["samples"].get<std::size_t>(), times.size()) << id << " " << name;
      vehicle_samples += times.size();
      // The rate from the median step between distinct timestamps (ISO strings of one
      // shape sort in time order; the step is taken from their millisecond values).
      if (times.size() >= 2) {
        std::vector<long long> ms;
        for (const auto& t : times) {
          std::tm tm{};
          ::strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
          ms.push_back(static_cast<long long>(::timegm(&tm)) * 1000 + std::atoi(t.substr(20, 3).c_str()));
        }
        std::sort(ms.begin(), ms.end());
        std::vector<long long> steps;
        for (std::size_t i = 1; i < ms.size(); ++i) steps.push_back(ms[i] - ms[i - 1]);
        std::nth_element(steps.begin(), steps.begin() + static_cast<long>(steps.size() / 2), steps.end());
        const long long median = steps[steps.size() / 2];
        EXPECT_EQ(channel["median_interval_ms"].get<long long>(), median) << id << " " << name;
        EXPECT_NEAR(channel["rate_hz"].get<double>(), 1000.0 / static_cast<double>(median), 1e-9);
      }
    }
    EXPECT_EQ(vehicle["samples"].get<std::size_t>(), vehicle_samples) << id;
    const auto laps = vehicle["laps"].get<std::vector<int>>();
    const std::set<int> expected = c.laps.contains(id) ? c.laps.at(id) : std::set<int>{};
    EXPECT_EQ(std::set<int>(laps.begin(), laps.end()), expected) << id;
    // Without lap files every window comes from the lap column, one per valid lap.
    EXPECT_EQ(vehicle["lap_windows"].size(), expected.size()) << id;
    with_offset += vehicle["clock_offset"].is_null() ? 0 : 1;
  }
  // meta_time is in every file here; a car with few rows may have fed no evidence.
  EXPECT_GT(with_offset, 0u);
}

std::vector<fs::path> files_named(const fs::path& dir, const std::string& part) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().find(part) != std::string::npos)
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Every telemetry file of in_dir sampled into out_dir keeps ceil(n / every) rows of each
// (vehicle, channel), in input order, byte for byte; every other file is identical.
void expect_sampled(const fs::path& in_dir, const fs::path& out_dir, std::size_t every) {
  std::size_t telemetry_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(in_dir)) {
    if (!e.is_regular_file()) continue;
    const fs::path rel = fs::relative(e.path(), in_dir);
    const fs::path out = out_dir / rel;
    ASSERT_TRUE(fs::exists(out)) << rel;
    const std::string before = read_file(e.path());
    const std::string after = read_file(out);
    if (rel.filename().string().find("telemetry") == std::string::npos) {
      EXPECT_EQ(after, before) << rel << " must be copied unchanged";
      continue;
    }
    ++telemetry_files;
    const auto in_lines = lines_of(before);
    const auto out_lines = lines_of(after);
    ASSERT_FALSE(out_lines.empty());
    EXPECT_EQ(out_lines[0], in_lines[0]) << "header kept as written";
    // Kept rows are input rows, in input order (a subsequence).
    std::size_t j = 1;
    for (std::size_t i = 1; i < out_lines.size(); ++i) {
      while (j < in_lines.size() && in_lines[j] != out_lines[i]) ++j;
      ASSERT_LT(j, in_lines.size()) << rel << ": output row " << i << " is not an input row in order";
      ++j;
    }
    const Counted in = count_long_file(before);
    const Counted kept = count_long_file(after);
    for (const auto& [vehicle, channels] : in.rows_per_channel)
      for (const auto& [channel, n] : channels) {
        const std::size_t want = (n + every - 1) / every;
        const auto v = kept.rows_per_channel.find(vehicle);
        const std::size_t got =
            v == kept.rows_per_channel.end() || !v->second.contains(channel) ? 0 : v->second.at(channel);
        EXPECT_EQ(got, want) << rel << " " << vehicle << " " << channel << " n=" << n;
      }
    EXPECT_EQ(kept.rows_per_channel.size(), in.rows_per_channel.size());
  }
  EXPECT_GT(telemetry_files, 0u);
}

TEST(InspectCli, RealBarberSampleMatchesIndependentCount) {
  APEX_REQUIRE_SHARED_DATA(gr_cup);
  const fs::path sample = gr_cup.parent_path() / "samples" / "R1_barber_telemetry_data_sample.csv";
  if (!fs::exists(sample)) GTEST_SKIP() << sample << " not present: skipped";
  expect_inspect_matches(sample);
}

TEST(InspectCli, DemoTelemetryMatchesIndependentCountAndPrintsText) {
  const fs::path dir = fresh_dir("inspect-demo");
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(dir), &code), code), 0);
  const auto telemetry = files_named(dir, "telemetry");
  ASSERT_FALSE(telemetry.empty());
  for (const auto& file : telemetry) expect_inspect_matches(file);

  const std::string text = apex("inspect " + quoted(telemetry[0]), &code);
  EXPECT_EQ(code, 0) << text;
  for (const char* part :
       {"rows", "layout      long", "vehicles", "clock offset", "rate Hz", "laps (lap column)"})
    EXPECT_NE(text.find(part), std::string::npos) << part << " in\n" << text;
  // The demo's car #13 runs its ECU clock two days ahead: an offset of days is also given in
  // seconds, and the two must agree (sign, then days and time of day, is minus all of it).
  const std::regex with_days(
      R"(clock offset ([+-])(\d+)d (\d\d):(\d\d):(\d\d)\.(\d{3}) = ([+-]\d+\.\d{3}) s)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, with_days)) << text;
  const long long magnitude_ms =
      ((std::stoll(m[2]) * 24 + std::stoll(m[3])) * 60 + std::stoll(m[4])) * 60'000 +
      std::stoll(m[5]) * 1000 + std::stoll(m[6]);
  EXPECT_EQ(std::llround(std::stod(m[7]) * 1000), m[1] == "-" ? -magnitude_ms : magnitude_ms) << m[0];
  EXPECT_GE(magnitude_ms, 86'400'000) << m[0];
  fs::remove_all(dir);
}

// With lap files, inspect lists the laps the telemetry covers, as the API does: a crossing
// of the lap files whose window holds no sample (the demo's lap files start at lap 2, its
// telemetry at lap 3) is named as such, not listed as a lap of the file under a header of
// the lap column's laps (it was listed: "laps (lap column): 3-..." then "lap 2 ... crossings").
TEST(InspectCli, WithLapFilesListsOnlyTheLapsTheTelemetryCovers) {
  const fs::path dir = fresh_dir("inspect-crossings");
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(dir), &code), code), 0);
  const fs::path race = dir / "sonoma-raceway" / "Sonoma" / "Race 1";
  const fs::path file = race / "sonoma_telemetry_R1.csv";
  const std::string laps = " --lap-start " + quoted(race / "sonoma_lap_start_time_R1.csv") + " --lap-end " +
                           quoted(race / "sonoma_lap_end_time_R1.csv");
  const std::string json_text = apex("inspect --json " + quoted(file) + laps, &code);
  ASSERT_EQ(code, 0) << json_text;
  const auto report = nlohmann::json::parse(json_text);

  // Which windows hold telemetry, counted here: at least two samples of the car's densest
  // channel (its most distinct timestamps) inside [start_ms, end_ms).
  const Counted counted = count_long_file(read_file(file));
  auto to_ms = [](const std::string& t) {
    std::tm tm{};
    ::strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    return static_cast<long long>(::timegm(&tm)) * 1000 + std::atoi(t.substr(20, 3).c_str());
  };
  std::map<std::string, std::multiset<int>> covered, uncovered;
  for (const auto& vehicle : report["vehicles"]) {
    const std::string id = vehicle["vehicle_id"];
    const std::set<std::string>* densest = nullptr;
    for (const auto& [channel, times] : counted.times.at(id))
      if (!densest || times.size() > densest->size()) densest = &times;
    ASSERT_NE(densest, nullptr);
    std::vector<long long> ms;
    for (const auto& t : *densest) ms.push_back(to_ms(t));
    for (const auto& w : vehicle["lap_windows"]) {
      const auto start = w["start_ms"].get<long long>(), end = w["end_ms"].get<long long>();
      const auto inside =
          std::count_if(ms.begin(), ms.end(), [&](long long t) { return t >= start && t < end; });
      (inside >= 2 ? covered : uncovered)[id].insert(w["lap"].get<int>());
      EXPECT_TRUE(w.contains("in_telemetry") && w["in_telemetry"] == (inside >= 2))
          << id << " lap " << w["lap"];
    }
  }
  ASSERT_FALSE(uncovered.empty()) << "the demo's lap files know a lap its telemetry does not";

  const std::string text = apex("inspect " + quoted(file) + laps, &code);
  ASSERT_EQ(code, 0) << text;
  const std::regex lap_line(R"(^    lap +(\d+)  )");
  for (const auto& vehicle : report["vehicles"]) {
    const std::string id = vehicle["vehicle_id"];
    const auto from = text.find("\n" + id + ": ");
    ASSERT_NE(from, std::string::npos) << id << "\n" << text;
    const auto to = text.find("\n\n", from + 1);
    std::istringstream block(
        text.substr(from + 1, to == std::string::npos ? std::string::npos : to - from - 1));
    std::multiset<int> listed;
    std::string line;
    std::smatch m;
    while (std::getline(block, line))
      if (std::regex_search(line, m, lap_line)) listed.insert(std::stoi(m[1]));
    EXPECT_EQ(listed, covered[id]) << id << "\n" << text;
    if (!uncovered[id].empty()) {
      EXPECT_NE(text.find("lap file crossings without telemetry (not laps of this file, as in the API): " +
                              std::to_string(*uncovered[id].begin()),
                          from),
                std::string::npos)
          << id << "\n"
          << text;
    }
  }
  fs::remove_all(dir);
}

TEST(InspectCli, NotTelemetryNamesTheFile) {
  const fs::path dir = fresh_dir("inspect-bad");
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(dir), &code), code), 0);
  const auto lap_files = files_named(dir, "lap_start");
  ASSERT_FALSE(lap_files.empty());
  const std::string out = apex("inspect " + quoted(lap_files[0]), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(lap_files[0].string()), std::string::npos) << out;
  EXPECT_NE(out.find("not a telemetry file"), std::string::npos) << out;

  const std::string missing =
      apex("inspect " + quoted(dir / "nope.csv") + " --data-dir " + quoted(dir), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(missing.find("nope.csv"), std::string::npos) << missing;

  // A folder named like a telemetry file is said to be a folder, not to be missing.
  fs::create_directories(dir / "folder_telemetry.csv");
  const std::string folder = apex("inspect " + quoted(dir / "folder_telemetry.csv"), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(folder.find("folder_telemetry.csv' is a folder, not a telemetry file"), std::string::npos)
      << folder;
  fs::remove_all(dir);
}

// demo-data refuses a DIR that is not empty, as sample refuses its OUT_DIR: it replaced the
// files there without a word, even with another --seed. --overwrite says replacing is meant.
TEST(DemoDataCli, NonEmptyDirIsRefusedUnlessOverwrite) {
  const fs::path dir = fresh_dir("demo-overwrite");
  int code = -1;
  std::string out = apex("demo-data " + quoted(dir), &code);
  ASSERT_EQ(code, 0) << out << " (an empty folder is fine)";
  const auto telemetry = files_named(dir, "telemetry");
  ASSERT_FALSE(telemetry.empty());
  const std::string before = read_file(telemetry[0]);

  out = apex("demo-data " + quoted(dir) + " --seed 7", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("DIR '" + dir.string() +
                     "' is not empty ('sonoma-raceway' is there and would be replaced): write the demo track "
                     "into a new or empty folder, or pass --overwrite"),
            std::string::npos)
      << out;
  EXPECT_EQ(read_file(telemetry[0]), before) << "nothing was written";

  out = apex("demo-data " + quoted(dir) + " --seed 7 --overwrite", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(read_file(telemetry[0]), before) << "replaced with the other seed's files";

  // Anything in DIR counts, not only an earlier demo track.
  const fs::path other = fresh_dir("demo-other");
  std::ofstream(other / "notes.txt") << "mine";
  out = apex("demo-data " + quoted(other), &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("('notes.txt' is there)"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(other / "sonoma-raceway"));
  fs::remove_all(dir);
  fs::remove_all(other);
}

TEST(SampleCli, DemoTreeKeepsEveryNthSamplePerChannel) {
  const fs::path root = fresh_dir("sample-demo");
  const fs::path in = root / "in";
  const fs::path out = root / "out";
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(in), &code), code), 0);
  const std::string report = apex("sample " + quoted(in) + " " + quoted(out) + " --keep 1/10", &code);
  ASSERT_EQ(code, 0) << report;
  EXPECT_NE(report.find("total"), std::string::npos) << report;
  expect_sampled(in, out, 10);
  // The sample is still telemetry the parser reads, and inspect agrees with the count.
  for (const auto& file : files_named(out, "telemetry")) expect_inspect_matches(file);

  // Sampling again into the same OUT_DIR with --overwrite replaces the files (temp +
  // rename), same result.
  ASSERT_EQ((apex("sample " + quoted(in) + " " + quoted(out) + " --keep 10 --overwrite", &code), code), 0);
  expect_sampled(in, out, 10);
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_EQ(e.path().string().find("apex-sample-tmp"), std::string::npos) << e.path();
  fs::remove_all(root);
}

TEST(SampleCli, GeneratedFileWithUnevenCounts) {
  int code = -1;
  if ((run_command("python3 --version", &code), code) != 0) GTEST_SKIP() << "python3 not available";
  const auto shared = apex::test::shared_dir();
  if (!shared || !fs::exists(*shared / "tools" / "gen_telemetry.py"))
    GTEST_SKIP() << "gen_telemetry.py absent";
  const fs::path root = fresh_dir("sample-gen");
  const fs::path in = root / "in";
  fs::create_directories(in / "test-track" / "Race 1");
  const fs::path file = in / "test-track" / "Race 1" / "R1_test_telemetry_data.csv";
  const std::string gen = run_command("python3 " + quoted(*shared / "tools" / "gen_telemetry.py") +
                                          " --size-mb 9 --seed 3 --cars 3 -o " + quoted(file),
                                      &code);
  ASSERT_EQ(code, 0) << gen;
  // 9 MiB spans more than one of sample's 8 MiB reads, so rows cut by a read are carried
  // over; 7 divides no channel's count evenly, so ceil() is exercised.
  const std::string report = apex("sample " + quoted(in) + " " + quoted(root / "out") + " --keep 1/7", &code);
  ASSERT_EQ(code, 0) << report;
  expect_sampled(in, root / "out", 7);
  fs::remove_all(root);
}

TEST(SampleCli, JsonInCsvKeepsEveryNthRowPerVehicle) {
  const fs::path seed = apex::test::source_dir() / "tests" / "fuzz" / "corpus" / "json_in_csv.csv";
  const fs::path root = fresh_dir("sample-json");
  const fs::path in = root / "in" / "sebring" / "Sebring" / "Race 2";
  fs::create_directories(in);
  // Two vehicles, rows interleaved: the counter is per vehicle, not per file.
  const auto lines = lines_of(read_file(seed));
  std::string bytes = lines[0];
  std::map<std::string, std::size_t> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (i % 3 == 0)
      for (std::size_t at; (at = line.find("GR86-004-78")) != std::string::npos;)
        line.replace(at, 11, "GR86-005-99");
    ++rows[line.find("GR86-005-99") != std::string::npos ? "GR86-005-99" : "GR86-004-78"];
    bytes += line;
  }
  std::ofstream(in / "sebring_telemetry_R2.csv", std::ios::binary) << bytes;
  int code = -1;
  const std::string report =
      apex("sample " + quoted(root / "in") + " " + quoted(root / "out") + " --keep 1/3", &code);
  ASSERT_EQ(code, 0) << report;
  const auto out =
      lines_of(read_file(root / "out" / "sebring" / "Sebring" / "Race 2" / "sebring_telemetry_R2.csv"));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0], lines[0]);
  std::map<std::string, std::size_t> kept;
  for (std::size_t i = 1; i < out.size(); ++i)
    ++kept[out[i].find("GR86-005-99") != std::string::npos ? "GR86-005-99" : "GR86-004-78"];
  for (const auto& [vehicle, n] : rows) EXPECT_EQ(kept[vehicle], (n + 2) / 3) << vehicle << " n=" << n;
  fs::remove_all(root);
}

// A stray quote costs its own row, as in the parser: the rows after it are sampled, not
// swallowed into one bad row with the rest of the file.
TEST(SampleCli, AStrayQuoteDropsOnlyItsOwnRow) {
  const fs::path root = fresh_dir("sample-stray-quote");
  const fs::path in = root / "in" / "sonoma-raceway" / "Sonoma" / "Race 1";
  fs::create_directories(in);
  std::string bytes =
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,"
      "telemetry_name,telemetry_value,timestamp,vehicle_id,vehicle_number\n";
  for (int i = 0; i < 30; ++i)
    bytes += std::string(",2,I_R1,R1,k,2025-07-19T18:08:50.431Z,GR86-010-16,0,speed,") +
             (i == 4 ? "\"" : "") + std::to_string(100 + i) + ",2025-07-19T18:08:" + std::to_string(10 + i) +
             ".000Z,GR86-010-16,16\n";
  std::ofstream(in / "sonoma_telemetry_R1.csv", std::ios::binary) << bytes;
  int code = -1;
  const std::string report =
      apex("sample " + quoted(root / "in") + " " + quoted(root / "out") + " --keep 1/2", &code);
  ASSERT_EQ(code, 0) << report;
  EXPECT_NE(report.find("1 unreadable"), std::string::npos) << report;
  const auto out =
      lines_of(read_file(root / "out" / "sonoma-raceway" / "Sonoma" / "Race 1" / "sonoma_telemetry_R1.csv"));
  ASSERT_EQ(out.size(), 1u + 15u) << report;  // the header, then every other one of the 29 good rows
  EXPECT_NE(out.back().find(",129,"), std::string::npos) << out.back();
  fs::remove_all(root);
}

TEST(SampleCli, KindsAndTracksChooseWhatGoesIn) {
  const fs::path root = fresh_dir("sample-kinds");
  const fs::path in = root / "in";
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(in), &code), code), 0);
  const fs::path out = root / "out";
  std::string report = apex("sample " + quoted(in) + " " + quoted(out) +
                                " --kinds lap_start,lap_end --tracks sonoma-raceway --keep 1/2",
                            &code);
  ASSERT_EQ(code, 0) << report;
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (!e.is_regular_file()) continue;
    ++files;
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name.find("lap_start") != std::string::npos || name.find("lap_end") != std::string::npos)
        << name;
    EXPECT_EQ(read_file(e.path()), read_file(in / fs::relative(e.path(), out)));
  }
  EXPECT_EQ(files, 4u);  // two races, start and end

  EXPECT_NE((apex("sample " + quoted(in) + " " + quoted(out) + " --tracks nowhere", &code), code), 0);
  EXPECT_NE((apex("sample " + quoted(in) + " " + quoted(out) + " --kinds maps", &code), code), 0);
  EXPECT_NE((apex("sample " + quoted(in) + " " + quoted(out) + " --keep 1/0", &code), code), 0);
  fs::remove_all(root);
}

TEST(SampleCli, RefusesOutDirInsideInDir) {
  const fs::path root = fresh_dir("sample-inside");
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(root), &code), code), 0);
  std::map<fs::path, std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) before[e.path()] = read_file(e.path());
  for (const fs::path& out : {root / "sampled", root, root / "sonoma-raceway" / ".." / "x"}) {
    const std::string report = apex("sample " + quoted(root) + " " + quoted(out), &code);
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(report.find("inside IN_DIR"), std::string::npos) << report;
  }
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(read_file(e.path()), before[e.path()]);
    }
  EXPECT_EQ(files, before.size());
  fs::remove_all(root);
}

TEST(SampleCli, NonEmptyOutDirIsRefusedUnlessOverwrite) {
  const fs::path root = fresh_dir("sample-overwrite");
  const fs::path in = root / "in";
  const fs::path out = root / "out";
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(in), &code), code), 0);
  ASSERT_EQ((apex("sample " + quoted(in) + " " + quoted(out) + " --kinds lap_start", &code), code), 0);
  const auto lap_files = files_named(out, "lap_start");
  ASSERT_FALSE(lap_files.empty());
  // The user's edit of a file the sample writes (the first by key, the one named), and a
  // file of their own beside it.
  const fs::path edited =
      *std::min_element(lap_files.begin(), lap_files.end(), [&](const auto& a, const auto& b) {
        return fs::relative(a, out).generic_string() < fs::relative(b, out).generic_string();
      });
  std::ofstream(edited, std::ios::binary | std::ios::trunc) << "edited by hand\n";
  std::ofstream(out / "notes.txt") << "mine";
  std::map<fs::path, std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file()) before[e.path()] = read_file(e.path());

  std::string report = apex("sample " + quoted(in) + " " + quoted(out), &code);
  EXPECT_EQ(code, 2) << report;
  const std::string key = fs::relative(edited, out).generic_string();
  EXPECT_NE(report.find("is not empty ('" + key + "' is there and would be replaced)"), std::string::npos)
      << report;
  EXPECT_NE(report.find("--overwrite"), std::string::npos) << report;
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(read_file(e.path()), before[e.path()]) << e.path();
    }
  EXPECT_EQ(files, before.size()) << "nothing written";

  // Only a file the sample would not write: still refused, and that file is named.
  fs::remove_all(out);
  fs::create_directories(out);
  std::ofstream(out / "notes.txt") << "mine";
  report = apex("sample " + quoted(in) + " " + quoted(out), &code);
  EXPECT_EQ(code, 2) << report;
  EXPECT_NE(report.find("('notes.txt' is there)"), std::string::npos) << report;

  report = apex("sample " + quoted(in) + " " + quoted(out) + " --overwrite", &code);
  ASSERT_EQ(code, 0) << report;
  expect_sampled(in, out, 10);
  EXPECT_EQ(read_file(out / "notes.txt"), "mine") << "--overwrite replaces what it writes, nothing else";
  fs::remove_all(root);
}

TEST(SampleCli, OutDirThatIsAFileOrCannotBeMadeIsOneErrorAndExitTwo) {
  const fs::path root = fresh_dir("sample-out-file");
  const fs::path in = root / "in";
  int code = -1;
  ASSERT_EQ((apex("demo-data " + quoted(in), &code), code), 0);
  const fs::path file = root / "a-file";
  std::ofstream(file) << "mine";
  std::string report = apex("sample " + quoted(in) + " " + quoted(file), &code);
  EXPECT_EQ(code, 2) << report;
  EXPECT_NE(report.find("OUT_DIR " + quoted(file) + " is not a folder"), std::string::npos) << report;
  EXPECT_EQ(report.find("Not a directory"), std::string::npos) << "said once, not per file\n" << report;
  report = apex("sample " + quoted(in) + " " + quoted(file / "below"), &code);
  EXPECT_EQ(code, 2) << report;
  EXPECT_NE(report.find("cannot create OUT_DIR " + quoted(file / "below") + ": "), std::string::npos)
      << report;
  EXPECT_EQ(report.find("sampling"), std::string::npos) << report;
  EXPECT_EQ(read_file(file), "mine");
  fs::remove_all(root);
}

}  // namespace
