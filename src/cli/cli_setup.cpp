#include "cli/cli_setup.h"

#include <cstdio>
#include <filesystem>

#include "storage/local_store.h"
#include "storage/store_factory.h"

namespace apex::cli {

std::optional<Config> load_config_or_report(const std::optional<std::string>& data_dir_override) {
  auto env = Environment::load(".env");
  if (!env) {
    std::fprintf(stderr, "apex: %s\n", env.error().message.c_str());
    return std::nullopt;
  }
  auto config = load_config(*env);
  if (!config) {
    std::fprintf(stderr, "apex: %s\n", config.error().message.c_str());
    return std::nullopt;
  }
  if (data_dir_override) config->data_dir = *data_dir_override;
  return *config;
}

std::unique_ptr<ObjectStore> open_store_or_report(const Config& config) {
  // A local folder does not come back by itself: a wrong path is a configuration error, said
  // with the path (the store's own messages never show it: they reach API answers).
  if (std::error_code ec; !config.s3.enabled && !std::filesystem::is_directory(config.data_dir, ec)) {
    std::fprintf(stderr, "apex: %s\n", missing_data_folder_message(config.data_dir).c_str());
    return nullptr;
  }
  auto store = make_object_store(config);
  if (!store) {
    std::fprintf(stderr, "apex: %s\n", store.error().message.c_str());
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace apex::cli
