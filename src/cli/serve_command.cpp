#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "server/api_server.h"

namespace apex::cli {
namespace {

// How often a server that could not read its bucket at start-up tries again in the
// background (requests also retry on their own); only to log when it becomes readable.
constexpr std::chrono::seconds kSourceRetryInterval{10};

ApiServer* running_server = nullptr;

extern "C" void stop_on_signal(int) {
  // httplib's stop() only flips flags and shuts the listening socket: safe enough here,
  // and it lets in-flight requests finish.
  if (running_server) running_server->stop();
}

// Which bucket, where and how: never a credential, only whether one is set.
void log_s3_source(const S3Settings& s3) {
  std::fprintf(stderr, "apex: data source S3 bucket '%s', prefix '%s', region %s, endpoint %s, %s\n",
               s3.bucket.c_str(), s3.prefix.c_str(), s3.region.c_str(),
               s3.endpoint_url.empty() ? "AWS (virtual-host style)" : s3.endpoint_url.c_str(),
               s3.access_key_id.empty() ? "anonymous (AWS_ACCESS_KEY_ID not set)"
                                        : "signed with the key from AWS_ACCESS_KEY_ID");
}

// Retries the catalog until it can be read or the server stops, and says when it worked.
class SourceRetry {
 public:
  explicit SourceRetry(SessionCache& cache) : cache_(cache), thread_([this] { run(); }) {}
  ~SourceRetry() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kSourceRetryInterval, [this] { return stopping_; })) {
      lock.unlock();
      auto catalog = cache_.catalog();
      lock.lock();
      if (catalog) {
        std::fprintf(stderr, "apex: data source readable now: %zu tracks in %s\n",
                     (*catalog)->tracks().size(), cache_.store().describe().c_str());
        return;
      }
      std::fprintf(stderr, "apex: data source still unreadable, retrying in %llds: %s\n",
                   static_cast<long long>(kSourceRetryInterval.count()), catalog.error().describe().c_str());
    }
  }

  SessionCache& cache_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

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
    const bool s3 = config->s3.enabled;
    if (s3) {
      log_s3_source(config->s3);
    } else if (std::error_code ec; !std::filesystem::is_directory(config->data_dir, ec)) {
      // A local folder does not come back by itself: a wrong path is a configuration error.
      std::fprintf(stderr, "apex: data folder '%s' does not exist; set DATA_DIR or pass --data-dir\n",
                   config->data_dir.c_str());
      return kExitConfiguration;
    }
    auto store = open_store_or_report(*config);
    if (!store) return kExitConfiguration;
    SessionCache cache(*store, config->cache_max_mb * 1024 * 1024);
    // One listing at start-up, so a wrong folder, bucket or key is reported now, not at
    // first request. A bucket can be unreachable for a while (network, permissions being
    // fixed): the server then keeps running, /health says what is wrong, and every request
    // and a background check try again.
    std::optional<SourceRetry> retry;
    if (auto catalog = cache.catalog(); !catalog) {
      std::fprintf(stderr, "apex: cannot read the data source (%s): %s\n", store->describe().c_str(),
                   catalog.error().describe().c_str());
      if (!s3) return kExitConfiguration;
      std::fprintf(
          stderr,
          "apex: serving anyway: /health reports the data source state, requests answer 503 until it "
          "can be read, and it is retried every %llds\n",
          static_cast<long long>(kSourceRetryInterval.count()));
      retry.emplace(cache);
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
    retry.reset();
    if (!status) {
      std::fprintf(stderr, "apex: %s\n", status.error().message.c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "apex: stopped\n");
    return kExitOk;
  };
}

}  // namespace apex::cli
