// apex: the command-line entry point. Each subcommand lives in its own file under cli/.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/cli_setup.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"APEX: Toyota GR Cup race data to lap analytics"};
  app.require_subcommand(1);
  // APEX_VERSION: the CMake project version (CMakeLists.txt).
  app.set_version_flag("--version", std::string("apex ") + APEX_VERSION, "Print the version and exit");
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
      {"sample", apex::cli::add_sample_command},
      {"openapi", apex::cli::add_openapi_command}};
  std::vector<std::pair<CLI::App*, apex::cli::Action>> commands;
  for (auto [name, add] : registry) {
    auto action = add(app);
    commands.emplace_back(app.get_subcommand(name), std::move(action));
  }
  // CLI11 answers an unknown command with "A subcommand is required"; name it and the
  // commands there are instead.
  std::string names;
  bool known = false;
  for (auto [name, add] : registry) {
    names += (names.empty() ? "" : ", ") + std::string(name);
    known = known || (argc > 1 && std::string_view(argv[1]) == name);
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::cerr << "apex: unknown command '" << argv[1] << "' (commands: " << names << ")\n";
    return apex::cli::kExitConfiguration;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints the message (and the usage for --help, which is a success) and would
    // exit with its own codes (105, 106, ...); a mistake on the command line is a usage
    // error like a bad setting, so it exits with the same code.
    const int printed = app.exit(error);
    return printed == static_cast<int>(CLI::ExitCodes::Success) ? apex::cli::kExitOk
                                                                : apex::cli::kExitConfiguration;
  }
  for (auto& [sub, action] : commands)
    if (sub->parsed()) return action();
  return apex::cli::kExitFailure;
}
