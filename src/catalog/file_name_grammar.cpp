// The grammar works on words, not on fixed names: a name is split at '_', ' ', '.', '-'
// (and paths at '/'), so "R1" inside "GR86" or "R10x" is never a session token and the
// free-text track token between the session and the kind can be anything.
#include "catalog/file_name_grammar.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <vector>

#include "formats/overrides_parser.h"

namespace apex {
namespace {

using Words = std::vector<std::string_view>;

bool is_separator(char c) {
  return c == '_' || c == ' ' || c == '.' || c == '-' || c == '/';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

// Splits text at every character the predicate accepts, dropping empty pieces.
template <typename IsSeparator>
Words split(std::string_view text, IsSeparator is_sep) {
  Words pieces;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || is_sep(text[i])) {
      if (i > start) pieces.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return pieces;
}

Words split_words(std::string_view text) {
  return split(text, is_separator);
}

// A race number: all digits, at least 1, small enough to be a race.
std::optional<int> parse_race_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 6) return std::nullopt;
  for (char c : digits)
    if (!is_digit(c)) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value < 1) return std::nullopt;
  return value;
}

struct SessionMatch {
  int race = 0;
  std::size_t first = 0;  // index of the first word of the token
  std::size_t count = 0;  // number of words it spans
};

// The session token starting at words[i]: "R1", "Race1" (one word) or "Race" "1" (two).
std::optional<SessionMatch> session_at(const Words& words, std::size_t i) {
  std::string_view w = words[i];
  if (istarts_with(w, "race")) {
    if (w.size() == 4) {
      if (i + 1 < words.size())
        if (auto race = parse_race_number(words[i + 1])) return SessionMatch{*race, i, 2};
      return std::nullopt;
    }
    if (auto race = parse_race_number(w.substr(4))) return SessionMatch{*race, i, 1};
    return std::nullopt;
  }
  if (w.size() >= 2 && lower(w[0]) == 'r')
    if (auto race = parse_race_number(w.substr(1))) return SessionMatch{*race, i, 1};
  return std::nullopt;
}

// The session token ending at words[i] (for a token placed last: "..._Race 2").
std::optional<SessionMatch> session_ending_at(const Words& words, std::size_t i) {
  if (i >= 1) {
    auto two = session_at(words, i - 1);
    if (two && two->count == 2) return two;
  }
  auto one = session_at(words, i);
  if (one && one->count == 1) return one;
  return std::nullopt;
}

// First word, then last word, then anywhere ("05_Results by Class GR Cup Race 1 Official").
std::optional<SessionMatch> find_session(const Words& words) {
  if (words.empty()) return std::nullopt;
  if (auto m = session_at(words, 0)) return m;
  if (auto m = session_ending_at(words, words.size() - 1)) return m;
  for (std::size_t i = 1; i + 1 < words.size(); ++i)
    if (auto m = session_at(words, i)) return m;
  return std::nullopt;
}

struct KindPhrase {
  std::array<std::string_view, 3> words;
  std::size_t count;
  FileKind kind;
};

// Longest phrases first so "lap start time" wins over "lap start" at the same position.
constexpr std::array<KindPhrase, 7> kKindPhrases{{
    {{"lap", "start", "time"}, 3, FileKind::LapStart},
    {{"lap", "end", "time"}, 3, FileKind::LapEnd},
    {{"telemetry", "data", ""}, 2, FileKind::Telemetry},
    {{"lap", "start", ""}, 2, FileKind::LapStart},
    {{"lap", "end", ""}, 2, FileKind::LapEnd},
    {{"lap", "time", ""}, 2, FileKind::LapTime},
    {{"telemetry", "", ""}, 1, FileKind::Telemetry},
}};

bool phrase_at(const Words& words, std::size_t i, const KindPhrase& phrase) {
  if (i + phrase.count > words.size()) return false;
  for (std::size_t k = 0; k < phrase.count; ++k)
    if (!iequals(words[i + k], phrase.words[k])) return false;
  return true;
}

// The kind phrase sits after the track token, so the rightmost phrase is the kind even
// when the track token happens to contain a word like "lap".
std::optional<FileKind> find_lap_or_telemetry_kind(const Words& words) {
  for (std::size_t i = words.size(); i-- > 0;)
    for (const auto& phrase : kKindPhrases)
      if (phrase_at(words, i, phrase)) return phrase.kind;
  return std::nullopt;
}

bool has_word(const Words& words, std::string_view word) {
  for (auto w : words)
    if (iequals(w, word)) return true;
  return false;
}

bool has_phrase(const Words& words, std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (iequals(words[i], a) && iequals(words[i + 1], b)) return true;
  return false;
}

// Official timing files start with a two-digit number ("03_", "23_") and name their kind
// in words. Both are required, so a stray "Results" spreadsheet or the championship table
// is not mistaken for a session's results.
std::optional<FileKind> find_official_kind(std::string_view stem, const Words& words) {
  if (stem.size() < 3 || !is_digit(stem[0]) || !is_digit(stem[1]) || !is_separator(stem[2]))
    return std::nullopt;
  if (has_word(words, "Championship")) return std::nullopt;
  for (auto w : words)
    if (istarts_with(w, "AnalysisEndurance") || iends_with(w, "Sections")) return FileKind::Sections;
  if (has_word(words, "Weather")) return FileKind::Weather;
  if (has_word(words, "Best") && has_word(words, "Laps")) return FileKind::BestLaps;
  if (has_word(words, "Results")) {
    const bool by_class = has_phrase(words, "by", "class") || stem.starts_with("05");
    return by_class ? FileKind::ResultsByClass : FileKind::Results;
  }
  return std::nullopt;
}

Officialness find_officialness(const Words& words) {
  if (has_word(words, "Official")) return Officialness::Official;
  if (has_word(words, "Provisional") || has_word(words, "Provisionals")) return Officialness::Provisional;
  return Officialness::Unmarked;
}

}  // namespace

std::string_view to_string(FileKind kind) {
  switch (kind) {
    case FileKind::LapStart:
      return "lap_start";
    case FileKind::LapEnd:
      return "lap_end";
    case FileKind::LapTime:
      return "lap_time";
    case FileKind::Telemetry:
      return "telemetry";
    case FileKind::Sections:
      return "sections";
    case FileKind::Results:
      return "results";
    case FileKind::ResultsByClass:
      return "results_by_class";
    case FileKind::BestLaps:
      return "best_laps";
    case FileKind::Weather:
      return "weather";
    case FileKind::Overrides:
      return "overrides";
  }
  return "unknown";
}

std::optional<FileKind> file_kind_from_string(std::string_view name) {
  constexpr std::array kAll{FileKind::LapStart,       FileKind::LapEnd,   FileKind::LapTime,
                            FileKind::Telemetry,      FileKind::Sections, FileKind::Results,
                            FileKind::ResultsByClass, FileKind::BestLaps, FileKind::Weather,
                            FileKind::Overrides};
  for (FileKind kind : kAll)
    if (iequals(name, to_string(kind))) return kind;
  return std::nullopt;
}

ClassifiedName classify_file_name(std::string_view path_in_track) {
  ClassifiedName result;

  std::string_view file_name = path_in_track;
  std::string_view folders;
  if (auto slash = path_in_track.rfind('/'); slash != std::string_view::npos) {
    file_name = path_in_track.substr(slash + 1);
    folders = path_in_track.substr(0, slash);
  }
  // The overrides file belongs to the whole track, whatever folder it sits in.
  if (file_name == kOverridesFileName) {
    result.kind = FileKind::Overrides;
    return result;
  }

  constexpr std::string_view kExtension = ".csv";
  const bool is_csv = file_name.size() > kExtension.size() && iends_with(file_name, kExtension);
  const std::string_view stem =
      is_csv ? file_name.substr(0, file_name.size() - kExtension.size()) : file_name;
  const Words words = split_words(stem);

  if (auto m = find_session(words)) {
    result.race = m->race;
  } else {
    // The deepest "Race N/" folder applies when the file name carries no token.
    const Words folder_names = split(folders, [](char c) { return c == '/'; });
    for (auto it = folder_names.rbegin(); it != folder_names.rend() && !result.race; ++it)
      if (auto fm = find_session(split_words(*it))) result.race = fm->race;
  }

  if (!is_csv) return result;
  result.officialness = find_officialness(words);
  result.kind = find_official_kind(stem, words);
  if (!result.kind) result.kind = find_lap_or_telemetry_kind(words);
  return result;
}

}  // namespace apex
