// The apex subcommands. Each registers its options on the CLI11 app and runs when
// chosen; main.cpp only wires them together.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace apex::cli {

// Registers the subcommand; the returned action runs it and gives the exit code.
using Action = std::function<int()>;

Action add_serve_command(CLI::App& app);
Action add_tracks_command(CLI::App& app);
Action add_sessions_command(CLI::App& app);
Action add_laps_command(CLI::App& app);
Action add_demo_data_command(CLI::App& app);
Action add_upload_command(CLI::App& app);
Action add_download_command(CLI::App& app);
Action add_ls_command(CLI::App& app);
Action add_inspect_command(CLI::App& app);
Action add_sample_command(CLI::App& app);
Action add_openapi_command(CLI::App& app);

}  // namespace apex::cli
