// apex: the command-line entry point. Each subcommand lives in its own file under cli/.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"APEX: Toyota GR Cup race data to lap analytics"};
  app.require_subcommand(1);
  const std::pair<const char*, apex::cli::Action (*)(CLI::App&)> registry[] = {
      {"serve", apex::cli::add_serve_command},
      {"tracks", apex::cli::add_tracks_command},
      {"sessions", apex::cli::add_sessions_command},
      {"laps", apex::cli::add_laps_command},
      {"ls", apex::cli::add_ls_command},
      {"demo-data", apex::cli::add_demo_data_command},
      {"upload", apex::cli::add_upload_command},
      {"download", apex::cli::add_download_command},
      {"inspect", apex::cli::add_inspect_command},
      {"sample", apex::cli::add_sample_command}};
  std::vector<std::pair<CLI::App*, apex::cli::Action>> commands;
  for (auto [name, add] : registry) {
    auto action = add(app);
    commands.emplace_back(app.get_subcommand(name), std::move(action));
  }
  CLI11_PARSE(app, argc, argv);
  for (auto& [sub, action] : commands)
    if (sub->parsed()) return action();
  return 1;
}
