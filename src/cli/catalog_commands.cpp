// apex tracks / apex sessions: what the catalog found, for a quick look at a data tree.
#include <cstdio>

#include "catalog/catalog.h"
#include "cli/cli_setup.h"
#include "cli/commands.h"

namespace apex::cli {
namespace {

// The catalog, or the exit code after the reason was printed.
std::expected<Catalog, int> open_catalog(const std::optional<std::string>& data_dir) {
  auto config = load_config_or_report(data_dir);
  if (!config) return std::unexpected(kExitConfiguration);
  auto store = open_store_or_report(*config);
  if (!store) return std::unexpected(kExitConfiguration);
  auto catalog = Catalog::build(*store);
  if (!catalog) {
    std::fprintf(stderr, "apex: %s\n", catalog.error().message.c_str());
    return std::unexpected(exit_code_for_source_error(catalog.error()));
  }
  return std::move(*catalog);
}

}  // namespace

Action add_tracks_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tracks", "List the tracks in the data source");
  auto data_dir = std::make_shared<std::optional<std::string>>();
  cmd->add_option("--data-dir", *data_dir, "Data folder (overrides DATA_DIR)");
  return [data_dir]() {
    auto catalog = open_catalog(*data_dir);
    if (!catalog) return catalog.error();
    for (const auto& track : catalog->tracks()) {
      std::string sessions;
      for (const auto& s : track.sessions) sessions += (sessions.empty() ? "" : " ") + s.id;
      std::printf("%-36s %s\n", track.id.c_str(), sessions.empty() ? "(no sessions)" : sessions.c_str());
    }
    return kExitOk;
  };
}

Action add_sessions_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sessions", "List a track's sessions and the files found for each");
  struct Options {
    std::string track;
    std::optional<std::string> data_dir;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("TRACK", options->track, "Track id (its folder name)")->required();
  cmd->add_option("--data-dir", options->data_dir, "Data folder (overrides DATA_DIR)");
  return [options]() {
    auto catalog = open_catalog(options->data_dir);
    if (!catalog) return catalog.error();
    const TrackCatalog* track = catalog->find_track(options->track);
    if (!track) {
      std::fprintf(stderr, "apex: track '%s' not found (tracks: %s)\n", options->track.c_str(),
                   catalog->track_ids_text().c_str());
      return kExitFailure;
    }
    for (const auto& s : track->sessions) {
      std::printf("%s\n", s.id.c_str());
      for (const auto& [kind, object] : s.files)
        std::printf("  %-17s %s\n", std::string(to_string(kind)).c_str(), object.key.c_str());
    }
    if (!track->unrecognised.empty()) {
      std::printf("unrecognised\n");
      for (const auto& u : track->unrecognised) std::printf("  %s (%s)\n", u.key.c_str(), u.reason.c_str());
    }
    return kExitOk;
  };
}

}  // namespace apex::cli
