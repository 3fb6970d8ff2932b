// apex laps TRACK SESSION: every lap of a session, both sources, as a table or JSON.
#include <cstdio>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/json_text.h"
#include "core/time_format.h"
#include "load/session_loader.h"
#include "server/json_views.h"

namespace apex::cli {
namespace {

std::string time_or_dash(std::optional<std::int64_t> ms) {
  return ms ? format_lap_time(*ms) : "-";
}

}  // namespace

Action add_laps_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("laps", "Show every lap of a session (official and ECU)");
  struct Options {
    std::string track, session;
    std::optional<std::string> driver, data_dir;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("TRACK", options->track, "Track id")->required();
  cmd->add_option("SESSION", options->session, "Session (R1, R2, \"Race 1\", ...)")->required();
  cmd->add_option("--driver", options->driver, "Only this driver (vehicle_id, car number or car-N)");
  cmd->add_flag("--json", options->json, "Print JSON (the API's /laps shape) instead of a table");
  cmd->add_option("--data-dir", options->data_dir, "Data folder (overrides DATA_DIR)");
  return [options]() {
    auto config = load_config_or_report(options->data_dir);
    if (!config) return kExitConfiguration;
    auto store = open_store_or_report(*config);
    if (!store) return kExitConfiguration;
    auto catalog = Catalog::build(*store);
    if (!catalog) {
      std::fprintf(stderr, "apex: %s\n", catalog.error().message.c_str());
      return exit_code_for_source_error(catalog.error());
    }
    const TrackCatalog* track = catalog->find_track(options->track);
    if (!track) {
      std::fprintf(stderr, "apex: track '%s' not found (tracks: %s)\n", options->track.c_str(),
                   catalog->track_ids_text().c_str());
      return kExitFailure;
    }
    const SessionFiles* files = track->find_session(options->session);
    if (!files) {
      std::fprintf(stderr, "apex: session '%s' not found for %s (sessions: %s)\n", options->session.c_str(),
                   track->id.c_str(), track->session_ids_text().c_str());
      return kExitFailure;
    }
    auto session = load_session(*store, *track, *files);
    if (!session) {
      std::fprintf(stderr, "apex: %s\n", session.error().message.c_str());
      return kExitFailure;
    }
    for (const auto& problem : session->problems)
      std::fprintf(stderr, "apex: warning: %s\n", problem.c_str());
    // Rows a parser skipped change the table (a lap missing), so say which and why, as
    // /files does: the count, then the first reasons with their lines.
    for (const ParseReport* report : session->reports()) {
      if (report->bad_rows == 0) continue;
      std::fprintf(stderr, "apex: warning: %s: %zu of %zu rows skipped\n", report->object_key.c_str(),
                   report->bad_rows, report->rows);
      for (const auto& reason : report->bad_row_reasons)
        std::fprintf(stderr, "apex: warning:   %s\n", reason.c_str());
    }
    auto analysis = analyse_session(*session);
    std::vector<LapRecord> laps;
    if (options->driver) {
      const DriverSummary* driver = analysis.find_driver(*options->driver);
      if (!driver) {
        // As for an unknown track or session: name what exists.
        std::string drivers;
        for (const DriverSummary& d : analysis.drivers)
          drivers += (drivers.empty() ? "" : ", ") + d.driver_id;
        std::fprintf(stderr,
                     "apex: driver '%s' not found in %s %s (drivers: %s; or a car number, car-<number>)\n",
                     options->driver->c_str(), track->id.c_str(), files->id.c_str(), drivers.c_str());
        return kExitFailure;
      }
      for (const auto& lap : analysis.laps)
        if (lap.driver_id == driver->driver_id ||
            (driver->vehicle_id && lap.vehicle_id == driver->vehicle_id))
          laps.push_back(lap);
    } else {
      laps = analysis.laps;
    }
    if (options->json) {
      std::printf("%s\n", json_text(laps_json(laps), 2).c_str());
      return kExitOk;
    }
    std::printf("%-8s %-14s %-5s %4s %10s %9s %9s %9s %-4s %s\n", "source", "driver", "car", "lap", "time",
                "s1", "s2", "s3", "flag", "note");
    for (const auto& lap : laps) {
      std::printf("%-8s %-14s %-5s %4d %10s %9s %9s %9s %-4s %s\n",
                  std::string(to_string(lap.source)).c_str(), lap.driver_id.c_str(),
                  lap.car_number.value_or("-").c_str(), lap.lap, format_lap_time(lap.lap_time_ms).c_str(),
                  time_or_dash(lap.s1_ms).c_str(), time_or_dash(lap.s2_ms).c_str(),
                  time_or_dash(lap.s3_ms).c_str(), lap.flag.c_str(),
                  lap.valid ? (lap.pit ? "pit" : "") : ("not counted: " + lap.invalid_reason).c_str());
    }
    return kExitOk;
  };
}

}  // namespace apex::cli
