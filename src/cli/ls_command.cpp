// apex ls: what the configured store holds (key, size, version), from disk or from S3
// alike, to check an upload or see what the catalog is working from.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/counted_noun.h"
#include "core/json_text.h"

namespace apex::cli {

Action add_ls_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ls", "List the objects in the data source (key, size, version)");
  struct Options {
    std::string prefix;
    std::optional<std::string> data_dir;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("PREFIX", options->prefix,
                  "Only keys starting with this, relative to the data root (\"barber-motorsports-park/\")");
  cmd->add_option("--data-dir", options->data_dir, "Data folder (overrides DATA_DIR)");
  cmd->add_flag("--json", options->json, "A JSON array of {key, size, version} instead of lines");
  return [options]() {
    auto config = load_config_or_report(options->data_dir);
    if (!config) return kExitConfiguration;
    auto store = open_store_or_report(*config);
    if (!store) return kExitConfiguration;
    auto listing = store->list(options->prefix, std::nullopt);
    if (!listing) {
      std::fprintf(stderr, "apex: cannot list %s: %s\n", store->describe().c_str(),
                   listing.error().describe().c_str());
      return exit_code_for_source_error(listing.error());
    }
    std::uint64_t total = 0;
    for (const auto& object : listing->objects) total += object.size;
    if (options->json) {
      auto out = nlohmann::json::array();
      for (const auto& o : listing->objects)
        out.push_back({{"key", o.key}, {"size", o.size}, {"version", o.version}});
      std::printf("%s\n", json_text(out).c_str());
    } else {
      // Size first and fixed-width so columns line up; the key last since it may hold spaces.
      for (const auto& o : listing->objects)
        std::printf("%12llu  %-34s  %s\n", static_cast<unsigned long long>(o.size), o.version.c_str(),
                    o.key.c_str());
    }
    std::fprintf(stderr, "apex: %s, %s under '%s' in %s\n",
                 counted(listing->objects.size(), "object").c_str(), counted(total, "byte").c_str(),
                 options->prefix.c_str(), store->describe().c_str());
    return kExitOk;
  };
}

}  // namespace apex::cli
