#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "catalog/file_name_grammar.h"
#include "storage/local_store.h"
#include "storage/memory_store.h"
#include "test_paths.h"

namespace apex {
namespace {

struct NameCase {
  const char* path;
  std::optional<FileKind> kind;
  std::optional<int> race;
  Officialness officialness = Officialness::Unmarked;
};

constexpr auto kOfficial = Officialness::Official;
constexpr auto kProvisional = Officialness::Provisional;
constexpr auto kUnmarked = Officialness::Unmarked;

TEST(FileNameGrammar, ClassifiesEveryRealNamingConvention) {
  const NameCase cases[] = {
      {"barber/R1_barber_lap_start.csv", FileKind::LapStart, 1},
      {"barber/R1_barber_lap_end.csv", FileKind::LapEnd, 1},
      {"barber/R1_barber_lap_time.csv", FileKind::LapTime, 1},
      {"barber/R2_barber_telemetry_data.csv", FileKind::Telemetry, 2},
      {"COTA/Race 1/COTA_lap_start_time_R1.csv", FileKind::LapStart, 1},
      {"COTA/Race 1/COTA_lap_end_time_R1.csv", FileKind::LapEnd, 1},
      {"COTA/Race 1/COTA_lap_time_R1.csv", FileKind::LapTime, 1},
      {"COTA/Race 2/R2_cota_telemetry_data.csv", FileKind::Telemetry, 2},
      {"COTA/Race 1/R1_cota_telemetry_data.csv", FileKind::Telemetry, 1},
      {"indianapolis/R1_indianapolis_motor_speedway_lap_start.csv", FileKind::LapStart, 1},
      {"indianapolis/R1_indianapolis_motor_speedway_telemetry.csv", FileKind::Telemetry, 1},
      {"Road America/Race 1/road_america_lap_start_R1.csv", FileKind::LapStart, 1},
      {"Road America/Race 1/R1_road_america_telemetry_data.csv", FileKind::Telemetry, 1},
      {"Sebring/Race 1/sebring_lap_start_time_R1.csv", FileKind::LapStart, 1},
      {"Sebring/Race 2/sebring_telemetry_R2.csv", FileKind::Telemetry, 2},
      {"Sonoma/Race 1/sonoma_lap_start_time_R1.csv", FileKind::LapStart, 1},
      {"Sonoma/Race 1/sonoma_telemetry_R1.csv", FileKind::Telemetry, 1},
      {"VIR/Race 1/vir_lap_start_R1.csv", FileKind::LapStart, 1},
      {"VIR/Race 1/R1_vir_telemetry_data.csv", FileKind::Telemetry, 1},
      {"barber/23_AnalysisEnduranceWithSections_Race 1_Anonymized.CSV", FileKind::Sections, 1},
      {"barber/99_Best 10 Laps By Driver_Race 2_Anonymized.CSV", FileKind::BestLaps, 2},
      {"barber/05_Results by Class GR Cup Race 1 Official_Anonymized.CSV", FileKind::ResultsByClass, 1,
       kOfficial},
      {"barber/26_Weather_Race 2_Anonymized.CSV", FileKind::Weather, 2},
      {"barber/03_Provisional Results_Race 2_Anonymized.CSV", FileKind::Results, 2, kProvisional},
      {"barber/05_Provisional Results by Class_Race 2_Anonymized.CSV", FileKind::ResultsByClass, 2,
       kProvisional},
      {"barber/03_Results GR Cup Race 2 Official_Anonymized.CSV", FileKind::Results, 2, kOfficial},
      {"Sonoma/Race 1/00_Results GR Cup Race 1 Official.CSV", FileKind::Results, 1, kOfficial},
      {"VIR/Race 2/03_Provisionals Results_Race 2.CSV", FileKind::Results, 2, kProvisional},
      {"COTA/Race 2/23_AnalysisEnduranceWithSections_ Race 2_Anonymized.CSV", FileKind::Sections, 2},
      {"Sebring/03_Results_Anonymized.CSV", FileKind::Results, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const auto got = classify_file_name(c.path);
    EXPECT_EQ(got.kind, c.kind);
    EXPECT_EQ(got.race, c.race);
    EXPECT_EQ(got.officialness, c.officialness);
  }
}

TEST(FileNameGrammar, NonDataFilesHaveNoKind) {
  for (const char* path : {".DS_Store", "barber/.DS_Store", "COTA/Race 1/COTA_Circuit_Map.pdf",
                           "Sebring/Race 1/sebring_map_R1.pdf", "readme.txt", "R1_barber_lap_start.pdf",
                           "GR Cup Championship Standings.CSV", "00_Championship Results GR Cup.CSV",
                           "Results GR Cup Race 1.CSV", "barber/R1_barber_notes.csv", ".csv"}) {
    SCOPED_TRACE(path);
    EXPECT_FALSE(classify_file_name(path).kind);
  }
}

TEST(FileNameGrammar, SessionTokenMustBeASeparateWord) {
  // "GR86" and "R10x" contain R<digit> but are not tokens; the track token holds an 'r'.
  EXPECT_FALSE(classify_file_name("GR86_barber_lap_start.csv").race);
  EXPECT_FALSE(classify_file_name("R10x_barber_lap_start.csv").race);
  EXPECT_FALSE(classify_file_name("barber_lap_start_xR1.csv").race);
  EXPECT_FALSE(classify_file_name("road_raceway_lap_start.csv").race);
  EXPECT_EQ(classify_file_name("R10_barber_lap_start.csv").race, 10);
  EXPECT_EQ(classify_file_name("r2_river_run_lap_end.csv").race, 2);
  EXPECT_EQ(classify_file_name("river-run_lap_end-r2.csv").race, 2);
  EXPECT_EQ(classify_file_name("river run lap end.R2.csv").race, 2);
  EXPECT_EQ(classify_file_name("Race1_river_lap_end.csv").race, 1);
  EXPECT_EQ(classify_file_name("river_lap_end_RACE 2.csv").race, 2);
  EXPECT_FALSE(classify_file_name("R0_barber_lap_start.csv").race);
}

TEST(FileNameGrammar, FolderTokenAppliesOnlyWhenTheNameHasNone) {
  EXPECT_EQ(classify_file_name("Race 2/COTA_lap_time.csv").race, 2);
  EXPECT_EQ(classify_file_name("COTA/Race1/deep/COTA_lap_time.csv").race, 1);
  EXPECT_EQ(classify_file_name("COTA/Race 1/COTA_lap_time_R2.csv").race, 2);  // the name wins
  EXPECT_EQ(classify_file_name("Race 1/Race 2/COTA_lap_time.csv").race, 2);   // the deepest folder
  EXPECT_FALSE(classify_file_name("GR86 stuff/COTA_lap_time.csv").race);
}

TEST(FileNameGrammar, KindSynonymsAndCase) {
  EXPECT_EQ(classify_file_name("R1_x_LAP_START_TIME.CSV").kind, FileKind::LapStart);
  EXPECT_EQ(classify_file_name("R1 x Lap End.Csv").kind, FileKind::LapEnd);
  EXPECT_EQ(classify_file_name("R1_x_Telemetry Data.csv").kind, FileKind::Telemetry);
  // A track token containing "lap" does not hide the kind that follows it.
  EXPECT_EQ(classify_file_name("R1_lap_lap_time.csv").kind, FileKind::LapTime);
}

TEST(FileKindNames, RoundTrip) {
  const std::set<std::string_view> expected{"lap_start",        "lap_end",   "lap_time",
                                            "telemetry",        "sections",  "results",
                                            "results_by_class", "best_laps", "weather"};
  std::set<std::string_view> seen;
  for (FileKind kind :
       {FileKind::LapStart, FileKind::LapEnd, FileKind::LapTime, FileKind::Telemetry, FileKind::Sections,
        FileKind::Results, FileKind::ResultsByClass, FileKind::BestLaps, FileKind::Weather}) {
    seen.insert(to_string(kind));
    EXPECT_EQ(file_kind_from_string(to_string(kind)), kind);
  }
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(file_kind_from_string("laps"));
  EXPECT_FALSE(file_kind_from_string(""));
}

TEST(NormaliseSessionId, AcceptsTheUsualSpellings) {
  for (const char* text : {"R1", "r1", "Race 1", "race1", "RACE_1", "1", " R01 "})
    EXPECT_EQ(normalise_session_id(text), "R1") << text;
  EXPECT_EQ(normalise_session_id("Race 12"), "R12");
  for (const char* text : {"", "R", "R0", "0", "Race", "R1x", "S1", "R-1", "Race 1 2", "R99999999999"})
    EXPECT_FALSE(normalise_session_id(text)) << text;
}

ObjectInfo object(std::string key) {
  return ObjectInfo{std::move(key), 1, "v"};
}

std::vector<std::string> keys_of(const std::vector<UnrecognisedFile>& files) {
  std::vector<std::string> keys;
  for (const auto& f : files) keys.push_back(f.key);
  return keys;
}

// Wraps a store and counts what the catalog asks of it.
class CountingStore final : public ObjectStore {
 public:
  explicit CountingStore(ObjectStore& inner) : inner_(inner) {}
  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override {
    ++lists;
    last_prefix = std::string(prefix);
    last_delimiter = delimiter;
    return inner_.list(prefix, delimiter);
  }
  Result<ObjectInfo> stat(std::string_view key) override {
    ++other_calls;
    return inner_.stat(key);
  }
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override {
    ++other_calls;
    return inner_.read(key, range, sink);
  }
  Status write(std::string_view key, const ByteSource& source) override {
    ++other_calls;
    return inner_.write(key, source);
  }
  Status remove(std::string_view key) override {
    ++other_calls;
    return inner_.remove(key);
  }
  std::string describe() const override { return "counting " + inner_.describe(); }

  int lists = 0;
  int other_calls = 0;
  std::string last_prefix = "unset";
  std::optional<char> last_delimiter = '?';

 private:
  ObjectStore& inner_;
};

TEST(Catalog, NestedCotaLayoutFromAStore) {
  MemoryStore memory;
  for (const char* key : {
           "circuit-of-the-americas/COTA/Race 1/COTA_lap_start_time_R1.csv",
           "circuit-of-the-americas/COTA/Race 1/COTA_lap_end_time_R1.csv",
           "circuit-of-the-americas/COTA/Race 1/COTA_lap_time_R1.csv",
           "circuit-of-the-americas/COTA/Race 1/R1_cota_telemetry_data.csv",
           "circuit-of-the-americas/COTA/Race 1/00_Results GR Cup Race 1 Official_Anonymized.CSV",
           "circuit-of-the-americas/COTA/Race 1/03_Provisional Results_Race 1_Anonymized.CSV",
           "circuit-of-the-americas/COTA/Race 1/26_Weather_Race 1_Anonymized.CSV",
           "circuit-of-the-americas/COTA/Race 2/COTA_lap_start_time_R2.csv",
           "circuit-of-the-americas/COTA/Race 2/R2_cota_telemetry_data.csv",
           "circuit-of-the-americas/COTA/Race 2/23_AnalysisEnduranceWithSections_ Race 2_Anonymized.CSV",
           "circuit-of-the-americas/COTA/Race 2/notes.csv",
           "circuit-of-the-americas/COTA/Race 2/.DS_Store",
           "circuit-of-the-americas/COTA/COTA_Circuit_Map.pdf",
           "circuit-of-the-americas/COTA/03_Results_Anonymized.CSV",
           "circuit-of-the-americas/COTA/lap_time_unknown.csv",
           "championship.csv",
           "empty-track/readme.txt",
       })
    ASSERT_TRUE(memory.write_all(key, "x"));

  CountingStore store(memory);
  auto catalog = Catalog::build(store);
  ASSERT_TRUE(catalog) << catalog.error().describe();
  EXPECT_EQ(store.lists, 1);
  EXPECT_EQ(store.other_calls, 0);
  EXPECT_EQ(store.last_prefix, "");
  EXPECT_EQ(store.last_delimiter, std::nullopt);

  ASSERT_EQ(catalog->tracks().size(), 2u);
  EXPECT_EQ(catalog->tracks()[0].id, "circuit-of-the-americas");
  EXPECT_EQ(catalog->tracks()[1].id, "empty-track");
  EXPECT_TRUE(catalog->tracks()[1].sessions.empty());
  EXPECT_EQ(keys_of(catalog->root_files()), std::vector<std::string>{"championship.csv"});

  const TrackCatalog* cota = catalog->find_track("circuit-of-the-americas");
  ASSERT_NE(cota, nullptr);
  EXPECT_EQ(catalog->find_track("COTA"), nullptr);
  ASSERT_EQ(cota->sessions.size(), 2u);
  EXPECT_EQ(cota->sessions[0].id, "R1");
  EXPECT_EQ(cota->sessions[0].race, 1);
  EXPECT_EQ(cota->sessions[1].id, "R2");

  for (const char* spelling : {"R1", "r1", "Race 1", "race1", "1"})
    EXPECT_EQ(cota->find_session(spelling), &cota->sessions[0]) << spelling;
  EXPECT_EQ(cota->find_session("R3"), nullptr);
  EXPECT_EQ(cota->find_session("nonsense"), nullptr);

  const SessionFiles& r1 = cota->sessions[0];
  ASSERT_NE(r1.find(FileKind::LapTime), nullptr);
  EXPECT_EQ(r1.find(FileKind::LapTime)->key, "circuit-of-the-americas/COTA/Race 1/COTA_lap_time_R1.csv");
  ASSERT_NE(r1.find(FileKind::Results), nullptr);
  EXPECT_EQ(r1.find(FileKind::Results)->key,
            "circuit-of-the-americas/COTA/Race 1/00_Results GR Cup Race 1 Official_Anonymized.CSV");
  ASSERT_EQ(r1.alternates.size(), 1u);
  EXPECT_EQ(r1.alternates[0].key,
            "circuit-of-the-americas/COTA/Race 1/03_Provisional Results_Race 1_Anonymized.CSV");
  EXPECT_EQ(r1.find(FileKind::Sections), nullptr);

  // The results file without a race number goes to the only session lacking results.
  const SessionFiles& r2 = cota->sessions[1];
  ASSERT_NE(r2.find(FileKind::Results), nullptr);
  EXPECT_EQ(r2.find(FileKind::Results)->key, "circuit-of-the-americas/COTA/03_Results_Anonymized.CSV");
  ASSERT_NE(r2.find(FileKind::Sections), nullptr);
  EXPECT_EQ(r2.find(FileKind::Telemetry)->key,
            "circuit-of-the-americas/COTA/Race 2/R2_cota_telemetry_data.csv");

  // "lap_time_unknown.csv" has no race and both sessions already... R2 lacks lap_time, so it goes there.
  ASSERT_NE(r2.find(FileKind::LapTime), nullptr);
  EXPECT_EQ(r2.find(FileKind::LapTime)->key, "circuit-of-the-americas/COTA/lap_time_unknown.csv");

  EXPECT_EQ(keys_of(cota->unrecognised), (std::vector<std::string>{
                                             "circuit-of-the-americas/COTA/COTA_Circuit_Map.pdf",
                                             "circuit-of-the-americas/COTA/Race 2/.DS_Store",
                                             "circuit-of-the-americas/COTA/Race 2/notes.csv",
                                         }));
  for (const auto& u : cota->unrecognised) EXPECT_NE(u.reason.find("kind"), std::string::npos) << u.reason;
  ASSERT_EQ(catalog->tracks()[1].unrecognised.size(), 1u);
  EXPECT_EQ(catalog->tracks()[1].unrecognised[0].key, "empty-track/readme.txt");
}

TEST(Catalog, RacelessFileIsUnrecognisedWhenAmbiguous) {
  const auto catalog = Catalog::from_listing({
      object("t/R1_t_lap_start.csv"),
      object("t/R2_t_lap_start.csv"),
      object("t/03_Results_Anonymized.CSV"),
      object("t/t_lap_start.csv"),
      object("u/03_Results_Anonymized.CSV"),
  });
  ASSERT_EQ(catalog.tracks().size(), 2u);
  const auto& t = catalog.tracks()[0];
  ASSERT_EQ(t.sessions.size(), 2u);
  EXPECT_EQ(t.sessions[0].find(FileKind::Results), nullptr);
  EXPECT_EQ(t.sessions[1].find(FileKind::Results), nullptr);
  ASSERT_EQ(t.unrecognised.size(), 2u);
  EXPECT_EQ(t.unrecognised[0].key, "t/03_Results_Anonymized.CSV");
  EXPECT_NE(t.unrecognised[0].reason.find("session"), std::string::npos);
  EXPECT_NE(t.unrecognised[0].reason.find("results"), std::string::npos);
  EXPECT_EQ(t.unrecognised[1].key, "t/t_lap_start.csv");

  // A track with no session at all: the results file cannot be placed, the track still appears.
  const auto& u = catalog.tracks()[1];
  EXPECT_EQ(u.id, "u");
  EXPECT_TRUE(u.sessions.empty());
  ASSERT_EQ(u.unrecognised.size(), 1u);
  EXPECT_NE(u.unrecognised[0].reason.find("no session token"), std::string::npos);
}

TEST(Catalog, ChoosesOfficialThenUnmarkedThenProvisionalThenShortestKey) {
  const auto catalog = Catalog::from_listing({
      object("t/03_Provisional Results_Race 1.CSV"),
      object("t/03_Results_Race 1_Anonymized.CSV"),
      object("t/03_Results_Race 1.CSV"),
      object("t/05_Provisional Results by Class_Race 1.CSV"),
      object("t/x/R1_b_lap_end.csv"),
      object("t/x/R1_a_lap_end.csv"),
  });
  ASSERT_EQ(catalog.tracks().size(), 1u);
  const auto* r1 = catalog.tracks()[0].find_session("R1");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->find(FileKind::Results)->key, "t/03_Results_Race 1.CSV");
  EXPECT_EQ(r1->find(FileKind::ResultsByClass)->key, "t/05_Provisional Results by Class_Race 1.CSV");
  EXPECT_EQ(r1->find(FileKind::LapEnd)->key, "t/x/R1_a_lap_end.csv");
  std::vector<std::string> alternates;
  for (const auto& a : r1->alternates) alternates.push_back(a.key);
  EXPECT_EQ(alternates,
            (std::vector<std::string>{"t/03_Provisional Results_Race 1.CSV",
                                      "t/03_Results_Race 1_Anonymized.CSV", "t/x/R1_b_lap_end.csv"}));
}

TEST(Catalog, ListingErrorIsReported) {
  class FailingStore final : public ObjectStore {
   public:
    Result<Listing> list(std::string_view, std::optional<char>) override {
      return make_error(ErrorKind::Unavailable, "connection refused");
    }
    Result<ObjectInfo> stat(std::string_view) override { return make_error(ErrorKind::NotFound, "x"); }
    Status read(std::string_view, ByteRange, const ByteSink&) override {
      return make_error(ErrorKind::NotFound, "x");
    }
    Status write(std::string_view, const ByteSource&) override {
      return make_error(ErrorKind::NotFound, "x");
    }
    Status remove(std::string_view) override { return make_error(ErrorKind::NotFound, "x"); }
    std::string describe() const override { return "s3://bucket/data/"; }
  } store;
  auto catalog = Catalog::build(store);
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(catalog.error().message.find("s3://bucket/data/"), std::string::npos);
  EXPECT_NE(catalog.error().message.find("connection refused"), std::string::npos);
}

TEST(Catalog, RealBarberFolder) {
  APEX_REQUIRE_SHARED_DATA(dir);
  LocalStore local(dir);
  CountingStore store(local);
  auto catalog = Catalog::build(store);
  ASSERT_TRUE(catalog) << catalog.error().describe();
  EXPECT_EQ(store.lists, 1);
  EXPECT_EQ(store.other_calls, 0);

  const TrackCatalog* barber = catalog->find_track("barber-motorsports-park");
  ASSERT_NE(barber, nullptr);
  EXPECT_EQ(barber->id, "barber-motorsports-park");
  ASSERT_EQ(barber->sessions.size(), 2u);
  EXPECT_EQ(barber->sessions[0].id, "R1");
  EXPECT_EQ(barber->sessions[1].id, "R2");
  for (const auto& session : barber->sessions) {
    SCOPED_TRACE(session.id);
    for (FileKind kind :
         {FileKind::LapStart, FileKind::LapEnd, FileKind::LapTime, FileKind::Sections, FileKind::Results,
          FileKind::ResultsByClass, FileKind::BestLaps, FileKind::Weather}) {
      const ObjectInfo* file = session.find(kind);
      ASSERT_NE(file, nullptr) << to_string(kind);
      const auto name = classify_file_name(file->key.substr(file->key.find('/') + 1));
      EXPECT_EQ(name.kind, kind);
      EXPECT_EQ(name.race, session.race);
    }
  }
  const auto* r1 = barber->find_session("R1");
  const auto* r2 = barber->find_session("Race 2");
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r1->find(FileKind::LapStart)->key, "barber-motorsports-park/barber/R1_barber_lap_start.csv");
  EXPECT_EQ(r2->find(FileKind::Results)->key,
            "barber-motorsports-park/barber/03_Results GR Cup Race 2 Official_Anonymized.CSV");
  EXPECT_EQ(r1->find(FileKind::Results)->key,
            "barber-motorsports-park/barber/03_Provisional Results_Race 1_Anonymized.CSV");
  EXPECT_EQ(r1->find(FileKind::ResultsByClass)->key,
            "barber-motorsports-park/barber/05_Results by Class GR Cup Race 1 Official_Anonymized.CSV");
  EXPECT_EQ(r2->find(FileKind::ResultsByClass)->key,
            "barber-motorsports-park/barber/05_Provisional Results by Class_Race 2_Anonymized.CSV");
  bool provisional_results_is_alternate = false;
  for (const auto& a : r2->alternates)
    if (a.key == "barber-motorsports-park/barber/03_Provisional Results_Race 2_Anonymized.CSV")
      provisional_results_is_alternate = true;
  EXPECT_TRUE(provisional_results_is_alternate);
}

}  // namespace
}  // namespace apex
