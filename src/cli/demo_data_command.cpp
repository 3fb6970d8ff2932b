// apex demo-data DIR: writes the deterministic demo track into DIR. A DIR that is not
// empty is refused before anything is written, unless --overwrite is given, as `apex
// sample` refuses its OUT_DIR: the command once replaced files there without a word.
#include <cstdio>
#include <filesystem>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "cli/demo_data_generator.h"
#include "storage/local_store.h"

namespace apex::cli {
namespace {

// An entry of dir, the one the demo would replace when there is one; nullopt when dir is
// missing, empty or not a folder (the write then says what is wrong).
std::optional<std::string> first_entry(const std::filesystem::path& dir, std::string_view track) {
  std::error_code ec;
  auto it = std::filesystem::directory_iterator(dir, ec);
  if (ec || it == std::filesystem::directory_iterator()) return std::nullopt;
  if (std::filesystem::exists(std::filesystem::symlink_status(dir / track, ec))) return std::string(track);
  return it->path().filename().string();
}

}  // namespace

Action add_demo_data_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo-data", "Generate a realistic demo track (two races) into DIR");
  struct Options {
    std::string dir;
    std::uint64_t seed = DemoDataOptions{}.seed;
    bool overwrite = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("DIR", options->dir,
                  "Data folder to write into: new or empty (see --overwrite); the track folder "
                  "sonoma-raceway is made inside")
      ->required();
  cmd->add_option("--seed", options->seed, "Random seed; the same seed gives byte-identical files");
  cmd->add_flag("--overwrite", options->overwrite,
                "Write into a DIR that is not empty, replacing the demo track's files (refused without it)");
  return [options]() {
    if (!options->overwrite)
      if (auto existing = first_entry(options->dir, kDemoTrackId)) {
        std::fprintf(
            stderr,
            "apex: DIR '%s' is not empty ('%s' is there%s): write the demo track into a new or empty "
            "folder, or pass --overwrite to replace its files; nothing was written\n",
            options->dir.c_str(), existing->c_str(),
            *existing == kDemoTrackId ? " and would be replaced" : "");
        return kExitConfiguration;
      }
    LocalStore store(options->dir);
    DemoDataOptions demo;
    demo.seed = options->seed;
    if (auto ok = generate_demo_data(store, demo); !ok) {
      // The store's messages name files relative to DIR: say which DIR.
      std::fprintf(stderr, "apex: cannot write the demo track into %s: %s\n", options->dir.c_str(),
                   ok.error().message.c_str());
      return kExitFailure;
    }
    std::printf("apex: wrote the demo track into %s\n", options->dir.c_str());
    return kExitOk;
  };
}

}  // namespace apex::cli
