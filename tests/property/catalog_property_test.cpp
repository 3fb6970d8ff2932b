#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/file_name_grammar.h"

namespace apex {
namespace {

// Flips the case of each letter by the bits of a random mask.
std::string random_case(const std::string& text) {
  const auto mask = *rc::gen::arbitrary<std::uint64_t>();
  std::string out = text;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool upper = ((mask >> (i % 64)) & 1u) != 0;
    if (upper && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A session token in one of the spellings the data uses: R1, Race 1, Race1, "_ Race 1".
std::string session_token(int race) {
  const std::string n = std::to_string(race);
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return random_case("R" + n);
    case 1:
      return random_case("Race") + " " + n;
    case 2:
      return random_case("Race") + n;
    default:
      return "_ " + random_case("Race") + " " + n;
  }
}

struct KindSpelling {
  std::vector<std::string> words;
  FileKind kind;
};

const std::vector<KindSpelling>& lap_kinds() {
  static const std::vector<KindSpelling> kinds{
      {{"lap", "start"}, FileKind::LapStart},       {{"lap", "start", "time"}, FileKind::LapStart},
      {{"lap", "end"}, FileKind::LapEnd},           {{"lap", "end", "time"}, FileKind::LapEnd},
      {{"lap", "time"}, FileKind::LapTime},         {{"telemetry"}, FileKind::Telemetry},
      {{"telemetry", "data"}, FileKind::Telemetry},
  };
  return kinds;
}

const std::vector<KindSpelling>& official_kinds() {
  static const std::vector<KindSpelling> kinds{
      {{"23", "AnalysisEnduranceWithSections"}, FileKind::Sections},
      {{"26", "Weather"}, FileKind::Weather},
      {{"99", "Best", "10", "Laps", "By", "Driver"}, FileKind::BestLaps},
      {{"03", "Results"}, FileKind::Results},
      {{"00", "Results", "GR", "Cup"}, FileKind::Results},
      {{"03", "Provisional", "Results"}, FileKind::Results},
      {{"05", "Results", "by", "Class", "GR", "Cup"}, FileKind::ResultsByClass},
      {{"05", "Provisional", "Results", "by", "Class"}, FileKind::ResultsByClass},
  };
  return kinds;
}

// Joins words with random separators ('_' or ' ').
std::string join_randomly(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += *rc::gen::element('_', ' ');
    out += words[i];
  }
  return out;
}

// Free text of letters, underscores and spaces that carries no kind or session by itself.
std::string track_token() {
  static const std::string alphabet = "abcdeglmnoprstuvyACEGLMRSTV_ ";
  return *rc::gen::suchThat(rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(alphabet))),
                            [](const std::string& text) {
                              const auto alone = classify_file_name(text + ".csv");
                              return !alone.kind && !alone.race;
                            });
}

std::string extension() {
  return random_case("csv");
}

struct GeneratedName {
  std::string path;  // relative to the track folder
  int race = 0;
  FileKind kind = FileKind::LapStart;
};

GeneratedName lap_or_telemetry_name(int race) {
  const auto& spelling = *rc::gen::elementOf(lap_kinds());
  const std::string kind = random_case(join_randomly(spelling.words));
  const std::string track = track_token();
  std::string path;
  switch (*rc::gen::inRange(0, 3)) {
    case 0:  // R1_barber_lap_start.csv
      path = session_token(race) + "_" + track + "_" + kind;
      break;
    case 1:  // COTA_lap_start_time_R1.csv, sonoma_telemetry_ Race 1.csv
      path = track + "_" + kind + "_" + session_token(race);
      break;
    default:  // COTA/Race 1/COTA_lap_time.csv
      path = random_case("Race") + *rc::gen::element(std::string(" "), std::string()) + std::to_string(race) +
             "/" + track + "_" + kind;
      if (*rc::gen::arbitrary<bool>()) path = track_token() + "/" + path;
      break;
  }
  return {path + "." + extension(), race, spelling.kind};
}

GeneratedName official_name(int race) {
  const auto& spelling = *rc::gen::elementOf(official_kinds());
  std::string path =
      spelling.words.front() + "_" +
      random_case(join_randomly(std::vector<std::string>(spelling.words.begin() + 1, spelling.words.end())));
  const std::string suffix = *rc::gen::element(std::string(), std::string("_Anonymized"),
                                               std::string(" Official_Anonymized"), std::string(" Official"));
  if (*rc::gen::arbitrary<bool>()) {
    path += "_" + session_token(race) + suffix;
  } else {
    path = random_case("Race") + " " + std::to_string(race) + "/" + path + suffix;
  }
  return {path + "." + extension(), race, spelling.kind};
}

GeneratedName any_name(int race) {
  return *rc::gen::inRange(0, 4) == 0 ? official_name(race) : lap_or_telemetry_name(race);
}

RC_GTEST_PROP(CatalogProperty, GeneratedNamesClassifyToWhatTheyWereBuiltFrom, ()) {
  const int race = *rc::gen::inRange(1, 100);
  const GeneratedName name = any_name(race);
  RC_LOG() << name.path << "\n";
  const auto got = classify_file_name(name.path);
  RC_ASSERT(got.kind == std::optional<FileKind>(name.kind));
  RC_ASSERT(got.race == std::optional<int>(race));
}

RC_GTEST_PROP(CatalogProperty, TracksAreTheTopLevelFolders, ()) {
  const auto segment =
      rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(std::string("abR1 _-."))));
  const auto keys = *rc::gen::container<std::vector<std::string>>(rc::gen::oneOf(
      rc::gen::map(rc::gen::pair(segment, segment), [](const auto& p) { return p.first + "/" + p.second; }),
      rc::gen::map(
          rc::gen::tuple(segment, segment, segment),
          [](const auto& t) { return std::get<0>(t) + "/" + std::get<1>(t) + "/" + std::get<2>(t); }),
      segment));
  std::vector<ObjectInfo> objects;
  std::set<std::string> expected_tracks;
  std::size_t expected_root = 0;
  for (const auto& key : keys) {
    objects.push_back({key, 1, "v"});
    if (auto slash = key.find('/'); slash != std::string::npos)
      expected_tracks.insert(key.substr(0, slash));
    else
      ++expected_root;
  }
  const auto catalog = Catalog::from_listing(objects);
  std::vector<std::string> listed;
  for (const auto& track : catalog.tracks()) listed.push_back(track.id);
  RC_ASSERT(listed == std::vector<std::string>(expected_tracks.begin(), expected_tracks.end()));
  RC_ASSERT(catalog.root_files().size() == expected_root);
  for (const auto& id : expected_tracks) RC_ASSERT(catalog.find_track(id) != nullptr);
}

RC_GTEST_PROP(CatalogProperty, SessionsAreTheRacesInTheNames, ()) {
  const int count = *rc::gen::inRange(1, 12);
  std::vector<ObjectInfo> objects;
  std::set<int> races;
  std::set<std::pair<int, FileKind>> present;
  for (int i = 0; i < count; ++i) {
    const int race = *rc::gen::inRange(1, 6);
    const GeneratedName name = any_name(race);
    objects.push_back({"track/" + name.path, 1, "v"});
    races.insert(race);
    present.insert({race, name.kind});
  }
  // Files that are not race data never create a session, whatever their token.
  const int noise_race = *rc::gen::inRange(1, 10);
  objects.push_back({"track/R" + std::to_string(noise_race) + "_map.pdf", 1, "v"});
  objects.push_back({"track/Race " + std::to_string(noise_race) + "/.DS_Store", 1, "v"});

  const auto catalog = Catalog::from_listing(objects);
  RC_ASSERT(catalog.tracks().size() == 1u);
  const TrackCatalog& track = catalog.tracks().front();
  std::vector<int> listed;
  for (const auto& session : track.sessions) {
    listed.push_back(session.race);
    // Appended, not "R" + std::to_string(...): g++ 12 -O3 reports a false
    // -Wstringop-overflow on that operator+ (GCC bug 105329).
    std::string expected_id = "R";
    expected_id += std::to_string(session.race);
    RC_ASSERT(session.id == expected_id);
  }
  RC_ASSERT(listed == std::vector<int>(races.begin(), races.end()));
  for (const auto& [race, kind] : present) {
    const SessionFiles* session = track.find_session("Race " + std::to_string(race));
    RC_ASSERT(session != nullptr);
    RC_ASSERT(session->find(kind) != nullptr);
  }
  std::size_t placed = track.unrecognised.size();
  for (const auto& session : track.sessions) placed += session.files.size() + session.alternates.size();
  RC_ASSERT(placed == objects.size());
}

}  // namespace
}  // namespace apex
