// apex inspect FILE: what a telemetry file holds (rows, layout, vehicles, channels with
// their rates, laps, ECU clock offsets, duplicates and bad rows), to check an export or
// a sampled copy before serving it. FILE is a local path, or else a key in the
// configured store (local folder or bucket).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analysis/ecu_laps.h"
#include "analysis/telemetry_laps.h"
#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/counted_noun.h"
#include "core/json_text.h"
#include "core/time_format.h"
#include "formats/lap_events_parser.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "storage/local_store.h"

namespace apex::cli {
namespace {

struct InspectedChannel {
  std::string name;
  std::size_t samples = 0;
  std::optional<std::int64_t> median_interval_ms;  // nullopt below two samples
  std::optional<double> rate_hz;
};

struct InspectedVehicle {
  std::string vehicle_id;
  std::size_t samples = 0;
  std::vector<InspectedChannel> channels;
  std::vector<int> laps;  // valid lap numbers of the lap column
  std::vector<LapWindow> windows;
  // The laps the API lists for this car (/vehicles, /laps): the windows its telemetry
  // covers, with whether they count. A crossing of the lap files outside the telemetry
  // (a lap the logger did not record) is a window here but not a lap there.
  std::vector<TelemetryLap> api_laps;
  std::optional<ClockOffset> offset;
  std::optional<TelemetryClock> lap_clock;  // against the lap files, when the car is in them

  const TelemetryLap* api_lap(const LapWindow& w) const {
    for (const TelemetryLap& l : api_laps)
      if (l.window == w) return &l;
    return nullptr;
  }
};

// The rate a channel is logged at: the median step between samples is robust to the gaps
// of pit stops and lost packets, which a mean over the whole session would average in.
void measure_rate(const ChannelSeries& series, InspectedChannel& out) {
  out.samples = series.size();
  if (series.size() < 2) return;
  std::vector<std::int64_t> steps;
  steps.reserve(series.size() - 1);
  for (std::size_t i = 1; i < series.size(); ++i) steps.push_back(series.time_ms[i] - series.time_ms[i - 1]);
  auto middle = steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2);
  std::nth_element(steps.begin(), middle, steps.end());
  out.median_interval_ms = *middle;
  if (*middle > 0) out.rate_hz = 1000.0 / static_cast<double>(*middle);
}

InspectedVehicle vehicle_facts(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                               const EcuVehicleLaps* crossings) {
  InspectedVehicle facts;
  facts.vehicle_id = vehicle.vehicle_id;
  facts.samples = vehicle.samples();
  std::set<int> laps;
  for (const ChannelSeries& series : vehicle.channels) {
    InspectedChannel channel;
    channel.name = std::string(telemetry.channel_name(series.channel));
    measure_rate(series, channel);
    facts.channels.push_back(std::move(channel));
    for (const LapRun& run : series.lap_runs)
      if (lap_column_valid(run.lap)) laps.insert(run.lap);
  }
  facts.laps.assign(laps.begin(), laps.end());
  // Laps are cut on the telemetry's clock: the lap files' crossings are moved onto it.
  std::optional<EcuVehicleLaps> moved;
  if (crossings) {
    facts.lap_clock = telemetry_clock(vehicle, crossings);
    moved = on_telemetry_clock(*crossings, *facts.lap_clock);
  }
  facts.windows = lap_windows(vehicle, moved ? &*moved : nullptr);
  facts.api_laps = telemetry_laps(vehicle, moved ? &*moved : nullptr);
  facts.offset = estimate_clock_offset(vehicle);
  return facts;
}

// "+1d 18:12:21.333 = +152541.333 s", "-0:00:02.500": offsets run from milliseconds to days.
std::string format_offset(std::int64_t ms) {
  const char sign = ms < 0 ? '-' : '+';
  std::uint64_t a = ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  const std::uint64_t days = a / 86'400'000;
  a %= 86'400'000;
  char text[64];
  // With days, the seconds too: "-1d 23:59:59.573" reads as Python's timedelta (-0.427 s)
  // to some, where it means minus all of it.
  if (days > 0)
    std::snprintf(text, sizeof text,
                  "%c%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 " = %+.3f s", sign,
                  days, a / 3'600'000, a / 60'000 % 60, a / 1000 % 60, a % 1000,
                  static_cast<double>(ms) / 1000.0);
  else
    std::snprintf(text, sizeof text, "%c%" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64, sign,
                  a / 3'600'000, a / 60'000 % 60, a / 1000 % 60, a % 1000);
  return text;
}

// "2-14, 16, 18-20": lap lists are mostly runs.
std::string format_laps(const std::vector<int>& laps) {
  std::string out;
  for (std::size_t i = 0; i < laps.size();) {
    std::size_t j = i;
    while (j + 1 < laps.size() && laps[j + 1] == laps[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(laps[i]);
    if (j > i) out += "-" + std::to_string(laps[j]);
    i = j + 1;
  }
  return out.empty() ? "none" : out;
}

std::string_view source_name(LapWindowSource source) {
  return source == LapWindowSource::Crossings ? "crossings" : "lap column";
}

nlohmann::json to_json(const Telemetry& telemetry, const std::vector<InspectedVehicle>& vehicles,
                       const std::string& file) {
  const TelemetryReport& r = telemetry.report;
  nlohmann::json out = {
      {"file", file},
      {"bytes", r.bytes},
      {"rows", r.parse.rows},
      {"bad_rows", r.parse.bad_rows},
      {"bad_row_reasons", r.parse.bad_row_reasons},
      {"layout", r.json_layout ? "json" : "long"},
      {"samples_read", r.samples_read},
      {"samples", telemetry.samples()},
      {"duplicate_samples", r.duplicate_samples},
      {"conflicting_keys", r.conflicting_keys},
  };
  auto list = nlohmann::json::array();
  for (const InspectedVehicle& v : vehicles) {
    auto channels = nlohmann::json::array();
    for (const InspectedChannel& c : v.channels)
      channels.push_back({{"name", c.name},
                          {"samples", c.samples},
                          {"median_interval_ms", c.median_interval_ms ? nlohmann::json(*c.median_interval_ms)
                                                                      : nlohmann::json(nullptr)},
                          {"rate_hz", c.rate_hz ? nlohmann::json(*c.rate_hz) : nlohmann::json(nullptr)}});
    auto windows = nlohmann::json::array();
    for (const LapWindow& w : v.windows) {
      const TelemetryLap* lap = v.api_lap(w);
      windows.push_back({{"lap", w.lap},
                         {"start_ms", w.start_ms},
                         {"end_ms", w.end_ms},
                         {"source", source_name(w.source)},
                         {"in_telemetry", lap != nullptr},
                         {"valid", lap && lap->valid},
                         {"invalid_reason", lap && !lap->valid ? nlohmann::json(lap->invalid_reason)
                                                               : nlohmann::json(nullptr)}});
    }
    nlohmann::json offset = nullptr;
    if (v.offset)
      offset = {{"offset_ms", v.offset->offset_ms},
                {"typical_lag_ms", v.offset->typical_lag_ms},
                {"evidence", v.offset->evidence}};
    list.push_back(
        {{"vehicle_id", v.vehicle_id},
         {"samples", v.samples},
         {"channels", std::move(channels)},
         {"laps", v.laps},
         {"lap_windows", std::move(windows)},
         {"clock_offset", std::move(offset)},
         {"lap_files_clock", v.lap_clock ? nlohmann::json{{"offset_ms", v.lap_clock->offset_ms},
                                                          {"source", clock_source_name(v.lap_clock->source)},
                                                          {"uncertainty_ms", v.lap_clock->uncertainty_ms},
                                                          {"matched_laps", v.lap_clock->matched_laps}}
                                         : nlohmann::json(nullptr)}});
  }
  out["vehicles"] = std::move(list);
  return out;
}

void print_text(const Telemetry& telemetry, const std::vector<InspectedVehicle>& vehicles,
                const std::string& file) {
  const TelemetryReport& r = telemetry.report;
  std::printf("file        %s\n", file.c_str());
  std::printf("bytes       %" PRIu64 "\n", r.bytes);
  std::printf("rows        %zu (%zu bad)\n", r.parse.rows, r.parse.bad_rows);
  std::printf("layout      %s\n",
              r.json_layout ? "JSON-in-CSV (one row per timestamp)" : "long (one row per sample)");
  std::printf("samples     %zu read, %zu kept, %s removed, %s\n", r.samples_read, telemetry.samples(),
              counted(r.duplicate_samples, "duplicate").c_str(),
              counted(r.conflicting_keys, "conflicting key").c_str());
  std::printf("vehicles    %zu\n", vehicles.size());
  for (const auto& reason : r.parse.bad_row_reasons) std::printf("bad row     %s\n", reason.c_str());
  for (const InspectedVehicle& v : vehicles) {
    std::printf("\n%s: %s, %s\n", v.vehicle_id.c_str(), counted(v.samples, "sample").c_str(),
                counted(v.channels.size(), "channel").c_str());
    if (v.offset)
      std::printf("  clock offset %s (ECU + offset = ingestion clock; typical lag %.3f s, %s)\n",
                  format_offset(v.offset->offset_ms).c_str(),
                  static_cast<double>(v.offset->typical_lag_ms) / 1000.0,
                  counted(v.offset->evidence, "row").c_str());
    else
      std::printf("  clock offset unknown (no meta_time evidence)\n");
    if (v.lap_clock)
      std::printf("  lap files' clock %s (ECU + offset; from %s, within %.3f s, %d laps matched)\n",
                  format_offset(v.lap_clock->offset_ms).c_str(),
                  std::string(clock_source_name(v.lap_clock->source)).c_str(),
                  static_cast<double>(v.lap_clock->uncertainty_ms) / 1000.0, v.lap_clock->matched_laps);
    std::printf("  %-26s %10s %10s %9s\n", "channel", "samples", "step ms", "rate Hz");
    for (const InspectedChannel& c : v.channels) {
      const std::string step = c.median_interval_ms ? std::to_string(*c.median_interval_ms) : "-";
      char rate[32] = "-";
      if (c.rate_hz) std::snprintf(rate, sizeof rate, "%.2f", *c.rate_hz);
      std::printf("  %-26s %10zu %10s %9s\n", c.name.c_str(), c.samples, step.c_str(), rate);
    }
    std::printf("  laps (lap column): %s\n", format_laps(v.laps).c_str());
    // The laps the API lists, so the two agree; a crossing of the lap files whose window
    // holds no telemetry is named once below instead of listed as a lap.
    std::vector<int> left_out;
    for (const LapWindow& w : v.windows) {
      const TelemetryLap* lap = v.api_lap(w);
      if (!lap) {
        left_out.push_back(w.lap);
        continue;
      }
      std::printf("    lap %4d  %s  %10s  %s%s%s\n", w.lap, format_iso8601_ms(w.start_ms).c_str(),
                  format_lap_time(w.end_ms - w.start_ms).c_str(), std::string(source_name(w.source)).c_str(),
                  lap->valid ? "" : "  not counted: ", lap->valid ? "" : lap->invalid_reason.c_str());
    }
    std::sort(left_out.begin(), left_out.end());
    if (!left_out.empty())
      std::printf("  lap file crossings without telemetry (not laps of this file, as in the API): %s\n",
                  format_laps(left_out).c_str());
  }
}

std::optional<std::string> read_local(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

// Lap crossings from local lap_start / lap_end files, so windows come from the crossings
// where the car's lap counter was lost. nullopt: reported.
std::optional<std::vector<EcuVehicleLaps>> load_crossings(const std::optional<std::string>& start_file,
                                                          const std::optional<std::string>& end_file) {
  std::vector<LapEvent> starts;
  std::vector<LapEvent> ends;
  for (auto [file, into] : {std::pair{&start_file, &starts}, std::pair{&end_file, &ends}}) {
    if (!*file) continue;
    auto bytes = read_local(**file);
    if (!bytes) {
      std::fprintf(stderr, "apex: cannot read lap file '%s'\n", (*file)->c_str());
      return std::nullopt;
    }
    auto events = parse_lap_events(std::move(*bytes), **file);
    if (!events) {
      std::fprintf(stderr, "apex: %s\n", events.error().message.c_str());
      return std::nullopt;
    }
    *into = std::move(events->events);
  }
  return build_ecu_laps(starts, ends);
}

}  // namespace

Action add_inspect_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("inspect", "Describe a telemetry file: rows, vehicles, channels, laps, clocks");
  struct Options {
    std::string file;
    std::optional<std::string> lap_start, lap_end, data_dir;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("FILE", options->file, "Telemetry CSV: a local path, else a key in the data source")
      ->required();
  cmd->add_option("--lap-start", options->lap_start, "Local lap_start file: lap windows from its crossings");
  cmd->add_option("--lap-end", options->lap_end,
                  "Local lap_end (or lap_time) file: lap windows from its crossings");
  cmd->add_option("--data-dir", options->data_dir, "Data folder for FILE as a key (overrides DATA_DIR)");
  cmd->add_flag("--json", options->json, "Print JSON instead of text");
  return [options]() {
    std::vector<EcuVehicleLaps> crossings;
    if (options->lap_start || options->lap_end) {
      auto loaded = load_crossings(options->lap_start, options->lap_end);
      if (!loaded) return kExitFailure;
      crossings = std::move(*loaded);
    }

    Result<Telemetry> telemetry = make_error(ErrorKind::NotFound, "");
    std::error_code ec;
    const std::filesystem::path path(options->file);
    if (std::filesystem::is_directory(path, ec)) {
      // Named like a file but a folder: "neither a local file nor a key" would send the
      // user looking for a missing file.
      std::fprintf(stderr, "apex: '%s' is a folder, not a telemetry file\n", options->file.c_str());
      return kExitFailure;
    }
    if (std::filesystem::is_regular_file(path, ec)) {
      // The parent folder as a store: the file streams through the same reader as the
      // server's, and messages name the path as given (the store's own messages name the
      // key, here the bare file name: the path is said before them).
      LocalStore store(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
      TelemetryStreamParser parser(options->file);
      auto read = store.read(path.filename().string(), ByteRange{},
                             [&](std::string_view chunk) { return parser.feed(chunk); });
      if (!read && read.error().message.find(options->file) == std::string::npos)
        read.error().message = "'" + options->file + "': " + read.error().message;
      telemetry = read ? parser.finish() : Result<Telemetry>(std::unexpected(read.error()));
    } else {
      auto config = load_config_or_report(options->data_dir);
      if (!config) return kExitConfiguration;
      auto store = open_store_or_report(*config);
      if (!store) return kExitConfiguration;
      // A path that cannot be a key (absolute, '..') is a local file that is not there.
      if (auto stat = store->stat(options->file); !stat) {
        if (stat.error().kind == ErrorKind::NotFound || !validate_key(options->file)) {
          std::fprintf(stderr, "apex: '%s' is neither a local file nor a key in %s\n", options->file.c_str(),
                       store->describe().c_str());
          return kExitFailure;
        }
        // Refused credentials, a missing bucket, an unreachable endpoint: said as the other
        // commands say it, not hidden behind "no such key".
        std::fprintf(stderr, "apex: '%s' is not a local file, and %s cannot be read: %s\n",
                     options->file.c_str(), store->describe().c_str(), stat.error().describe().c_str());
        return exit_code_for_source_error(stat.error());
      }
      telemetry = load_telemetry(*store, options->file);
    }
    if (!telemetry) {
      std::fprintf(stderr, "apex: %s\n", telemetry.error().message.c_str());
      return kExitFailure;
    }
    // The parser takes any header with vehicle_id, timestamp and a value column as the
    // JSON-in-CSV layout, which lap files of schemas B and C also have: a file none of
    // whose rows holds a sample is reported as what it is, not as empty telemetry.
    const ParseReport& parse = telemetry->report.parse;
    if (parse.rows > 0 && parse.bad_rows == parse.rows && telemetry->samples() == 0) {
      std::fprintf(stderr, "apex: '%s' is not a telemetry file: none of its %s holds a sample%s%s\n",
                   options->file.c_str(), counted(parse.rows, "row").c_str(),
                   parse.bad_row_reasons.empty() ? "" : "; first: ",
                   parse.bad_row_reasons.empty() ? "" : parse.bad_row_reasons.front().c_str());
      return kExitFailure;
    }

    std::vector<InspectedVehicle> vehicles;
    for (const VehicleTelemetry& vehicle : telemetry->vehicles) {
      auto it = std::find_if(crossings.begin(), crossings.end(),
                             [&](const EcuVehicleLaps& c) { return c.vehicle_id == vehicle.vehicle_id; });
      vehicles.push_back(vehicle_facts(*telemetry, vehicle, it == crossings.end() ? nullptr : &*it));
    }
    if (options->json)
      std::printf("%s\n", json_text(to_json(*telemetry, vehicles, options->file), 2).c_str());
    else
      print_text(*telemetry, vehicles, options->file);
    return kExitOk;
  };
}

}  // namespace apex::cli
