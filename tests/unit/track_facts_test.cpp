// The track facts file: parsing, lookups by the names folders really have, refusal of
// malformed figures, and the committed reference/track_facts.json itself.
#include "model/track_facts.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "formats/track_facts_parser.h"
#include "test_paths.h"

namespace apex {
namespace {

const char* kFacts = R"({
  "vehicle": {"name": "Toyota GR86 Cup", "horsepower": 228, "weight_kg": 1270, "top_speed_kmh": null, "source": "s"},
  "tracks": [
    {"id": "barber-motorsports-park", "name": "Barber Motorsports Park", "aliases": ["barber"],
     "length_km": 3.83, "turns": 17, "elevation_change_m": 24.4,
     "reference_lap": {"lap_time_s": 97.304, "description": "d", "source": "s"},
     "race_lap_record": {"lap_time_s": 66.8182, "description": "IndyCar", "source": "s"}, "source": "s"},
    {"id": "virginia-international-raceway", "name": "Virginia International Raceway", "aliases": ["VIR"],
     "length_km": 5.263, "turns": 17, "elevation_change_m": null, "reference_lap": null}
  ]
})";

TEST(TrackFacts, ParsesAndFindsByIdAliasOrName) {
  auto book = parse_track_facts(kFacts, "test");
  ASSERT_TRUE(book) << book.error().describe();
  EXPECT_EQ(book->tracks().size(), 2u);
  for (auto id : {"barber-motorsports-park", "barber", "Barber", "barber_motorsports_park",
                  "Barber Motorsports Park"}) {
    const TrackFacts* t = book->find(id);
    ASSERT_NE(t, nullptr) << id;
    EXPECT_EQ(t->id, "barber-motorsports-park");
  }
  const TrackFacts* barber = book->find("barber");
  EXPECT_EQ(barber->turns, 17);
  EXPECT_DOUBLE_EQ(*barber->length_km, 3.83);
  ASSERT_TRUE(barber->reference_lap);
  EXPECT_DOUBLE_EQ(barber->reference_lap->lap_time_s, 97.304);
  ASSERT_TRUE(barber->race_lap_record);
  EXPECT_DOUBLE_EQ(barber->race_lap_record->lap_time_s, 66.8182);
  EXPECT_EQ(barber->race_lap_record->description, "IndyCar");
  const TrackFacts* vir = book->find("vir");
  ASSERT_NE(vir, nullptr);
  EXPECT_FALSE(vir->elevation_change_m) << "null stays unknown";
  EXPECT_FALSE(vir->reference_lap);
  EXPECT_FALSE(vir->race_lap_record) << "absent stays unknown";
  EXPECT_EQ(book->find("sebring"), nullptr);
  EXPECT_EQ(book->find(""), nullptr);
  EXPECT_EQ(book->vehicle().horsepower, 228);
  EXPECT_FALSE(book->vehicle().top_speed_kmh);
}

TEST(TrackFacts, MalformedFiguresAreRefusedWithTheirPlace) {
  auto not_json = parse_track_facts("{", "facts.json");
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().message.find("facts.json"), std::string::npos);
  auto bad_turns = parse_track_facts(R"({"tracks": [{"id": "x", "name": "X", "turns": "seventeen"}]})", "f");
  ASSERT_FALSE(bad_turns);
  EXPECT_NE(bad_turns.error().message.find("tracks[0]"), std::string::npos);
  EXPECT_NE(bad_turns.error().message.find("turns"), std::string::npos);
  EXPECT_FALSE(parse_track_facts(R"({"tracks": [{"id": "x", "name": "X", "turns": 17.5}]})", "f"));
  EXPECT_FALSE(parse_track_facts(R"({"tracks": [{"id": "x", "name": "X", "turns": 1e20}]})", "f"));
  EXPECT_FALSE(parse_track_facts(R"({"tracks": [{"name": "X"}]})", "f")) << "id is required";
  EXPECT_FALSE(parse_track_facts(R"({"tracks": {}})", "f"));
  EXPECT_FALSE(parse_track_facts(
      R"({"tracks": [{"id": "x", "name": "X", "reference_lap": {"lap_time_s": -1}}]})", "f"));
  auto bad_record = parse_track_facts(
      R"({"tracks": [{"id": "x", "name": "X", "race_lap_record": {"lap_time_s": "1:06"}}]})", "f");
  ASSERT_FALSE(bad_record);
  EXPECT_NE(bad_record.error().message.find("race_lap_record"), std::string::npos);
  EXPECT_FALSE(parse_track_facts(R"({"tracks": [{"id": "x", "name": "X", "race_lap_record": 66.8}]})", "f"));
}

TEST(TrackFacts, NormalisedKeys) {
  EXPECT_EQ(normalise_track_key("Road America"), "road-america");
  EXPECT_EQ(normalise_track_key("  __Sonoma__Raceway "), "sonoma-raceway");
  EXPECT_EQ(normalise_track_key("COTA"), "cota");
}

TEST(TrackFacts, CommittedFileCoversTheGrCupTracksAndTheEmbeddedData) {
  std::ifstream in(test::source_dir() / "reference" / "track_facts.json");
  ASSERT_TRUE(in) << "reference/track_facts.json is missing";
  std::stringstream text;
  text << in.rdbuf();
  auto book = parse_track_facts(text.str(), "reference/track_facts.json");
  ASSERT_TRUE(book) << book.error().describe();
  // The folder names the GR Cup zips unzip to, and the ids of data/.
  for (auto id : {"barber-motorsports-park", "circuit-of-the-americas", "COTA", "indianapolis",
                  "road-america", "Road America", "sebring", "sonoma", "Sonoma", "sonoma-raceway",
                  "virginia-international-raceway", "VIR"}) {
    const TrackFacts* t = book->find(id);
    ASSERT_NE(t, nullptr) << id;
    EXPECT_TRUE(t->length_km) << id;
    EXPECT_TRUE(t->turns) << id;
    EXPECT_FALSE(t->source.empty()) << id << ": every figure names its source";
    for (const auto* lap : {&t->reference_lap, &t->race_lap_record}) {
      if (*lap) {
        EXPECT_FALSE((*lap)->source.empty()) << id << ": every lap names its source";
      }
    }
  }
  // Only a GR86 lap is a reference: the outright records are far below any GR Cup lap.
  for (const auto& t : book->tracks()) {
    if (t.reference_lap && t.race_lap_record) {
      EXPECT_GT(t.reference_lap->lap_time_s, t.race_lap_record->lap_time_s) << t.id;
    }
  }
  EXPECT_EQ(book->find("barber-motorsports-park")->reference_lap->lap_time_s, 97.304)
      << "the fastest GR Cup lap in the shipped Barber timing (R2, car 22)";
  EXPECT_FALSE(book->vehicle().name.empty());
  EXPECT_FALSE(book->vehicle().source.empty());
}

}  // namespace
}  // namespace apex
