// apex demo-data DIR: writes the deterministic demo track into DIR.
#include <cstdio>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "cli/demo_data_generator.h"
#include "storage/local_store.h"

namespace apex::cli {

Action add_demo_data_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo-data", "Generate a realistic demo track (two races) into DIR");
  struct Options {
    std::string dir;
    std::uint64_t seed = DemoDataOptions{}.seed;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("DIR", options->dir, "Data folder to write into (a track folder is created inside)")
      ->required();
  cmd->add_option("--seed", options->seed, "Random seed; the same seed gives byte-identical files");
  return [options]() {
    LocalStore store(options->dir);
    DemoDataOptions demo;
    demo.seed = options->seed;
    if (auto ok = generate_demo_data(store, demo); !ok) {
      std::fprintf(stderr, "apex: %s\n", ok.error().message.c_str());
      return kExitFailure;
    }
    std::printf("apex: wrote the demo track into %s\n", options->dir.c_str());
    return kExitOk;
  };
}

}  // namespace apex::cli
