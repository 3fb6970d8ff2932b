#include "cli/cli_setup.h"

#include <cstdio>

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
  auto store = make_object_store(config);
  if (!store) {
    std::fprintf(stderr, "apex: %s\n", store.error().message.c_str());
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace apex::cli
