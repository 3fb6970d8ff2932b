#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "server/api_server.h"

namespace apex::cli {
namespace {

ApiServer* running_server = nullptr;

extern "C" void stop_on_signal(int) {
  // httplib's stop() only flips flags and shuts the listening socket: safe enough here,
  // and it lets in-flight requests finish.
  if (running_server) running_server->stop();
}

}  // namespace

Action add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve the analytics API over HTTP");
  struct Options {
    std::optional<std::string> data_dir, host;
    std::optional<int> port;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("--data-dir", options->data_dir,
                  "Folder with one subfolder per track (overrides DATA_DIR)");
  cmd->add_option("--port", options->port, "TCP port (overrides PORT; default 8000)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", options->host, "Address to listen on (overrides HOST; default 127.0.0.1)");
  return [options]() {
    auto config = load_config_or_report(options->data_dir);
    if (!config) return kExitConfiguration;
    if (options->host) config->host = *options->host;
    if (options->port) config->port = static_cast<std::uint16_t>(*options->port);
    auto store = open_store_or_report(*config);
    if (!store) return kExitConfiguration;
    SessionCache cache(*store, config->cache_max_mb * 1024 * 1024);
    // Read the catalog at start-up so a wrong DATA_DIR or bucket is reported now, not at first request.
    if (auto catalog = cache.catalog(); !catalog) {
      std::fprintf(stderr, "apex: cannot read the data source (%s): %s\n", store->describe().c_str(),
                   catalog.error().message.c_str());
      return kExitConfiguration;
    } else {
      std::fprintf(stderr, "apex: %zu tracks in %s\n", (*catalog)->tracks().size(),
                   store->describe().c_str());
    }
    ServerOptions server_options;
    server_options.host = config->host;
    server_options.port = config->port;
    server_options.cors_origins = config->cors_origins;
    ApiServer server(cache, server_options);
    running_server = &server;
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    auto status = server.run();
    running_server = nullptr;
    if (!status) {
      std::fprintf(stderr, "apex: %s\n", status.error().message.c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "apex: stopped\n");
    return kExitOk;
  };
}

}  // namespace apex::cli
