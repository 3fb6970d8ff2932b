// The engineer's overrides file (apex-overrides.json) from parsing to the analysis and the
// quality report, and the data-quality checks that read the files' contents rather than
// trusting their names: byte-identical files across sessions, -999 sentinels.
#include <gtest/gtest.h>

#include "analysis/session_overrides.h"
#include "analysis/session_quality.h"
#include "catalog/catalog.h"
#include "formats/official_timing_parser.h"
#include "formats/overrides_parser.h"
#include "load/session_loader.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

TEST(OverridesFile, ParsesEveryKindOfOverride) {
  auto parsed = parse_overrides(R"({
    "comment": "decided after the debrief",
    "Race 1": {
      "link": [{"car": "51", "vehicle": "GR86-040-51", "reason": "seen on the onboard"}],
      "forbid_link": [{"car": "15", "vehicle": "GR86-022-15"}],
      "exclude_laps": [{"car": "47", "lap": 7, "reason": "black flag"}, {"vehicle": "GR86-040-51", "lap": 3}],
      "exclude_files": [{"file": "COTA/Race 1/COTA_lap_time_R1.csv", "reason": "R2's data"}]
    }})",
                                "cota/apex-overrides.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  const SessionOverrides& r1 = parsed->at("Race 1");
  EXPECT_EQ(r1.source_key, "cota/apex-overrides.json");
  ASSERT_EQ(r1.forced_links.size(), 1u);
  EXPECT_EQ(r1.forced_links[0].car_id, "51");
  EXPECT_EQ(r1.forced_links[0].reason, "seen on the onboard");
  ASSERT_EQ(r1.forbidden_links.size(), 1u);
  EXPECT_EQ(r1.forbidden_links[0].vehicle_id, "GR86-022-15");
  ASSERT_EQ(r1.excluded_laps.size(), 2u);
  EXPECT_EQ(r1.excluded_laps[0].car_id, "47");
  EXPECT_EQ(r1.excluded_laps[0].lap, 7);
  EXPECT_EQ(r1.excluded_laps[1].vehicle_id, "GR86-040-51");
  ASSERT_EQ(r1.excluded_files.size(), 1u);
  EXPECT_EQ(r1.excluded_files[0].path, "COTA/Race 1/COTA_lap_time_R1.csv");
}

TEST(OverridesFile, AMistakeNamesTheFileAndThePlace) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({"R1": {"exclude_lap": []}})", "R1: unknown key 'exclude_lap'"},
           Case{R"({"R1": {"exclude_laps": [{"car": "47", "lap": "7"}]}})", "R1.exclude_laps[0].lap"},
           Case{R"({"R1": {"exclude_laps": [{"car": "47", "vehicle": "GR86-1-47", "lap": 7}]}})",
                "not both or neither"},
           Case{R"({"R1": {"link": [{"car": "51"}]}})", "R1.link[0]: missing 'vehicle'"},
           Case{R"({"R1": {"link": {"car": "51"}}})", "R1.link: expected a list"},
           Case{"{\"R1\": {\n  \"link\": [,]}}", "line 2, column"},
           Case{R"(["R1"])", "the file: expected an object"},
           Case{R"({"R1": {"exclude_laps": [{"car": "47", "lap": 1000001}]}})",
                "from 0 to 1000000), found 1000001"},
       }) {
    auto parsed = parse_overrides(c.text, "t/apex-overrides.json");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().message.find("t/apex-overrides.json"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos) << parsed.error().message;
  }
}

TEST(OverridesFile, ADeeplyNestedOrHugeFileIsRefusedWithoutWalkingIt) {
  const std::string deep = R"({"R1": {"exclude_laps": [{"car": "47", "lap": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}]}}";
  auto nested = parse_overrides(deep, "t/apex-overrides.json");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("found an array"), std::string::npos) << nested.error().message;
  auto huge = parse_overrides(std::string(2u << 20, ' '), "t/apex-overrides.json");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("more than an overrides file holds"), std::string::npos);
}

TEST(OverridesFile, TheCatalogGivesItToEverySessionOfTheTrack) {
  auto catalog = Catalog::from_listing({{"t/R1_t_lap_end.csv", 10, "a"},
                                        {"t/R2_t_lap_end.csv", 10, "b"},
                                        {"t/data/apex-overrides.json", 5, "c"}});
  const TrackCatalog* track = catalog.find_track("t");
  ASSERT_NE(track, nullptr);
  ASSERT_EQ(track->sessions.size(), 2u);
  for (const auto& session : track->sessions) {
    ASSERT_NE(session.find(FileKind::Overrides), nullptr) << session.id;
    EXPECT_EQ(session.find(FileKind::Overrides)->key, "t/data/apex-overrides.json");
  }
  EXPECT_TRUE(track->unrecognised.empty());
}

// A car 7 whose ECU laps are 100.0 s and official laps 101.5 s: no link by evidence.
constexpr const char* kLapEnds =
    "lap,timestamp,vehicle_id\n"
    "1,2025-05-01T14:00:00.000Z,GR86-001-70\n"
    "2,2025-05-01T14:01:40.000Z,GR86-001-70\n"
    "3,2025-05-01T14:03:20.000Z,GR86-001-70\n"
    "4,2025-05-01T14:05:00.000Z,GR86-001-70\n"
    "5,2025-05-01T14:06:40.000Z,GR86-001-70\n";
constexpr const char* kSections =
    "NUMBER;LAP_NUMBER;LAP_TIME;FLAG_AT_FL\n"
    "7;1;1:45.000;GF\n7;2;1:41.500;GF\n7;3;1:41.500;GF\n7;4;1:41.600;GF\n7;5;1:41.700;GF\n";

Session load(MemoryStore& store, const std::string& session_id) {
  auto listed = Catalog::build(store);
  EXPECT_TRUE(listed) << listed.error().message;
  const TrackCatalog* track = listed->find_track("t");
  EXPECT_NE(track, nullptr);
  auto session = load_session(store, *track, *track->find_session(session_id));
  EXPECT_TRUE(session) << session.error().message;
  return std::move(*session);
}

const QualityCheck& check_named(const std::vector<QualityCheck>& checks, const std::string& id) {
  for (const auto& check : checks)
    if (check.id == id) return check;
  ADD_FAILURE() << "no check " << id;
  static const QualityCheck none;
  return none;
}

TEST(OverridesFile, AppliedOnLoadAndShownInTheQualityReport) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all("t/R1_t_lap_end.csv", kLapEnds));
  ASSERT_TRUE(store.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  ASSERT_TRUE(store.write_all("t/R1_t_lap_start.csv", "lap,timestamp,vehicle_id\n"));
  ASSERT_TRUE(store.write_all("t/apex-overrides.json", R"({"R1": {
      "link": [{"car": "7", "vehicle": "GR86-001-70", "reason": "the team says so"}],
      "exclude_laps": [{"car": "7", "lap": 3, "reason": "spin"}, {"car": "99", "lap": 1}],
      "exclude_files": [{"file": "R1_t_lap_start.csv"}, {"file": "nowhere.csv"}]}})"));

  Session session = load(store, "R1");
  ASSERT_TRUE(session.overrides);
  ASSERT_EQ(session.excluded_files.size(), 1u);
  EXPECT_EQ(session.excluded_files[0].key, "t/R1_t_lap_start.csv");
  EXPECT_FALSE(session.lap_starts);

  SessionAnalysis analysis = analyse_session(session);
  ASSERT_EQ(analysis.links.size(), 1u);
  EXPECT_EQ(analysis.links[0].vehicle_id, "GR86-001-70");
  EXPECT_EQ(analysis.links[0].linked_by, LinkEvidence::Override);
  for (const auto& lap : analysis.laps)
    if (lap.source == LapSource::Official && lap.lap == 3) {
      EXPECT_FALSE(lap.valid);
      EXPECT_EQ(lap.invalid_reason, "excluded by override (spin)");
    }
  const auto checks = session_quality(session, analysis);
  const QualityCheck& overrides = check_named(checks, "overrides");
  EXPECT_EQ(overrides.status, QualityStatus::Warning);  // car 99 and nowhere.csv name nothing
  std::string text;
  for (const auto& f : overrides.findings) text += f.found + " => " + f.decided + "\n";
  EXPECT_NE(text.find("link car 7 to GR86-001-70 (the team says so) => linked"), std::string::npos) << text;
  EXPECT_NE(text.find("exclude lap 3 of car 7 (spin) => excluded"), std::string::npos) << text;
  EXPECT_NE(text.find("the session has no lap 1 of car 99"), std::string::npos) << text;
  EXPECT_NE(text.find("exclude file nowhere.csv => names no timing file"), std::string::npos) << text;
}

TEST(OverridesFile, ABrokenFileIsAProblemAndNothingApplies) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all("t/R1_t_lap_end.csv", kLapEnds));
  ASSERT_TRUE(store.write_all("t/apex-overrides.json",
                              R"({"R1": {"exclude_files": [{"file": "R1_t_lap_end.csv"}]},)"));
  Session session = load(store, "R1");
  ASSERT_TRUE(session.overrides);
  EXPECT_TRUE(session.overrides->empty());
  EXPECT_NE(session.overrides->error.find("t/apex-overrides.json: not valid JSON"), std::string::npos);
  EXPECT_TRUE(session.lap_ends);
  ASSERT_EQ(session.problems.size(), 1u);
  EXPECT_NE(session.problems[0].find("t/apex-overrides.json: not valid JSON"), std::string::npos);
  const auto checks = session_quality(session, analyse_session(session));
  EXPECT_EQ(check_named(checks, "files").status, QualityStatus::Warning);
  EXPECT_EQ(check_named(checks, "files").findings[0].subject, "t/apex-overrides.json");
  const QualityCheck& overrides = check_named(checks, "overrides");
  EXPECT_EQ(overrides.status, QualityStatus::Warning);
  EXPECT_EQ(overrides.summary, "the overrides file could not be used");
}

TEST(OverridesFile, NamesOfNoSessionAreReportedAndNamesOfOneSessionCombined) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all("t/R1_t_lap_end.csv", kLapEnds));
  ASSERT_TRUE(store.write_all("t/23_AnalysisEnduranceWithSections_Race 1.CSV", kSections));
  ASSERT_TRUE(store.write_all("t/apex-overrides.json", R"({
      "R1": {"exclude_laps": [{"car": "7", "lap": 2}]},
      "Race 1": {"exclude_laps": [{"car": "7", "lap": 3}]},
      "Race 3": {"exclude_laps": [{"car": "7", "lap": 4}]}})"));
  Session session = load(store, "R1");
  ASSERT_TRUE(session.overrides);
  EXPECT_EQ(session.overrides->excluded_laps.size(), 2u);
  const auto checks = session_quality(session, analyse_session(session));
  std::string text;
  for (const auto& f : check_named(checks, "overrides").findings) text += f.found + "\n";
  EXPECT_NE(text.find("'Race 3' names no session of this track (sessions: R1)"), std::string::npos) << text;
  EXPECT_NE(text.find("'R1' and 'Race 1' all name R1: their entries are combined"), std::string::npos)
      << text;
  EXPECT_EQ(check_named(checks, "overrides").status, QualityStatus::Warning);
}

TEST(OverridesFile, ContradictoryLinksSayWhichOneStands) {
  std::vector<CarLink> links(2);
  links[0].car_id = links[0].car_number = "5";
  links[1].car_id = links[1].car_number = "8";
  std::vector<EcuVehicleLaps> ecu(2);
  ecu[0].vehicle_id = "GR86-040-3";
  ecu[1].vehicle_id = "GR86-012-8";
  SessionOverrides overrides;
  overrides.forced_links = {{"5", "GR86-040-3", ""}, {"5", "GR86-012-8", ""}};
  overrides.forbidden_links = {{"5", "GR86-012-8", ""}};
  auto outcomes = apply_link_overrides(links, overrides, ecu);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].applied);
  EXPECT_EQ(outcomes[0].result, "contradicted by a link entry for the same pair: the link stands");
  EXPECT_FALSE(outcomes[1].applied);
  EXPECT_EQ(outcomes[1].result, "overruled by a later entry linking car 5 to GR86-012-8");
  EXPECT_TRUE(outcomes[2].applied);
  EXPECT_EQ(links[0].vehicle_id, "GR86-012-8");
  EXPECT_FALSE(links[0].id_number_matches);
  EXPECT_FALSE(links[1].vehicle_id);
}

TEST(OverridesFile, AForbiddenLinkIsUndoneAndAForcedOneTakesItsVehicle) {
  std::vector<CarLink> links(2);
  links[0].car_id = links[0].car_number = "15";
  links[0].vehicle_id = "GR86-022-15";
  links[0].linked_by = LinkEvidence::LapTimes;
  links[1].car_id = links[1].car_number = "51";
  std::vector<EcuVehicleLaps> ecu(1);
  ecu[0].vehicle_id = "GR86-022-15";
  SessionOverrides overrides;
  overrides.forbidden_links.push_back({"15", "GR86-022-15", ""});
  auto outcomes = apply_link_overrides(links, overrides, ecu);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].applied);
  EXPECT_FALSE(links[0].vehicle_id);

  links[0].vehicle_id = "GR86-022-15";
  overrides.forbidden_links.clear();
  overrides.forced_links.push_back({"51", "GR86-022-15", ""});
  overrides.forced_links.push_back({"15", "GR86-999-15", ""});  // not in the ECU files
  outcomes = apply_link_overrides(links, overrides, ecu);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].applied);
  EXPECT_NE(outcomes[0].result.find("car 15 left unlinked"), std::string::npos);
  EXPECT_FALSE(outcomes[1].applied);
  EXPECT_FALSE(links[0].vehicle_id);
  EXPECT_EQ(links[1].vehicle_id, "GR86-022-15");
}

TEST(ContentsDecide, AFileIdenticalToAnotherSessionsIsReported) {
  MemoryStore store;
  ASSERT_TRUE(store.write_all("t/R1_t_lap_time.csv", kLapEnds));
  ASSERT_TRUE(store.write_all("t/R2_t_lap_time.csv", kLapEnds));
  ASSERT_TRUE(
      store.write_all("t/R2_t_lap_end.csv", std::string(kLapEnds).replace(0, 3, "LAP")));  // same size
  Session r1 = load(store, "R1");
  ASSERT_EQ(r1.identical_files.size(), 1u);
  EXPECT_EQ(r1.identical_files[0].key, "t/R1_t_lap_time.csv");
  EXPECT_EQ(r1.identical_files[0].same_as, "t/R2_t_lap_time.csv");
  const auto checks = session_quality(r1, analyse_session(r1));
  const QualityCheck& files = check_named(checks, "files");
  EXPECT_EQ(files.status, QualityStatus::Warning);
  ASSERT_EQ(files.findings.size(), 1u);
  EXPECT_NE(files.findings[0].found.find("exactly those of t/R2_t_lap_time.csv"), std::string::npos);
}

TEST(ContentsDecide, SentinelsAreCountedAndReadAsMissing) {
  auto results = parse_results(
      "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH\n"
      "1;7;Classified;5;8:30.000;-;-;2;1:41.500;-999\n2;8;Classified;5;8:31.000;+1.000;+1.000;-999;;-999.0\n",
      "t/03_Results.CSV");
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_FALSE(results->entries[0].fastest_lap_kph);
  EXPECT_FALSE(results->entries[1].fastest_lap_number);
  EXPECT_EQ(results->report.sentinel_cells.at("FL_KPH"), 2u);
  EXPECT_EQ(results->report.sentinel_cells.at("FL_LAPNUM"), 1u);
  Session session;
  session.results = std::move(*results);
  const auto checks = session_quality(session, analyse_session(session));
  const QualityCheck& values = check_named(checks, "values");
  EXPECT_EQ(values.summary, "0 rows skipped, 3 sentinel cells read as missing");
}

TEST(QualityReport, SaysWhyLapsDoNotCountAndWhichCarsShareANumber) {
  Session session;
  OfficialLaps laps;
  auto lap = [](std::string car, int block, int n, std::int64_t ms) {
    OfficialLap l;
    l.car_number = std::move(car);
    l.car_block = block;
    l.lap = n;
    l.lap_time_ms = ms;
    l.flag = "GF";
    return l;
  };
  // Car 3: lap 1 quickest (from the grid), lap 3 deleted; a second car 3 after it.
  for (auto l :
       {lap("3", 1, 1, 99000), lap("3", 1, 2, 101000), lap("3", 1, 3, 100000), lap("3", 1, 4, 100500),
        lap("3", 2, 1, 104000), lap("3", 2, 2, 102000), lap("3", 2, 3, 102500)})
    laps.laps.push_back(l);
  session.sections = std::move(laps);
  auto results = parse_results(
      "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME\n"
      "1;3;Classified;4;6:40.500;-;-;4;1:40.500\n2;3;Classified;3;5:08.500;1 Lap;1 Lap;2;1:42.000\n",
      "t/03_Results.CSV");
  ASSERT_TRUE(results);
  session.results = std::move(*results);
  const auto checks = session_quality(session, analyse_session(session));
  const QualityCheck& deleted = check_named(checks, "deleted_laps");
  ASSERT_EQ(deleted.findings.size(), 2u);
  EXPECT_NE(deleted.findings[0].found.find("lap 1 (1:39.000)"), std::string::npos);
  EXPECT_NE(deleted.findings[0].found.find("starts from the grid"), std::string::npos);
  EXPECT_NE(deleted.findings[1].found.find("lap 3 (1:40.000) was deleted by the officials: it is quicker "
                                           "than the official fastest lap (lap 4)"),
            std::string::npos)
      << deleted.findings[1].found;
  EXPECT_NE(deleted.summary.find("1 deleted lap seen"), std::string::npos);
  const QualityCheck& shared = check_named(checks, "duplicate_numbers");
  ASSERT_EQ(shared.findings.size(), 1u);
  EXPECT_NE(shared.findings[0].decided.find("3, 3-2"), std::string::npos);
  EXPECT_EQ(check_named(checks, "results_vs_timing").status, QualityStatus::Ok);
}

}  // namespace
}  // namespace apex
