#include <malloc.h>
#include <pthread.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/counted_noun.h"
#include "server/api_server.h"
#include "server/static_assets.h"
#include "storage/local_store.h"

namespace apex::cli {
namespace {

// How often a server that could not read its bucket at start-up tries again in the
// background (requests also retry on their own); only to log when it becomes readable.
constexpr std::chrono::seconds kSourceRetryInterval{10};

// SIGTERM (a platform stopping the container, a deploy) and SIGINT (Ctrl-C) stop the
// server gracefully: the listening socket closes at once, requests already received are
// answered, then apex exits 0. During start-up (nothing in flight) or on a second signal
// apex exits at once. The signals are blocked in every thread and taken by sigwait() in a
// thread of their own, so the stop runs as ordinary code rather than in a signal handler,
// and a signal that arrives before the server listens is not lost.
class ShutdownSignals {
 public:
  // Construct before any other thread starts: threads inherit the blocked mask.
  ShutdownSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { run(); });
  }
  ~ShutdownSignals() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait()
    thread_.join();
  }
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // From now on a signal stops this server; detach() before the server is destroyed.
  void attach(ApiServer& server) {
    std::lock_guard lock(mutex_);
    server_ = &server;
  }
  void detach() {
    std::lock_guard lock(mutex_);
    server_ = nullptr;
  }

 private:
  void run() {
    bool stopping = false;
    for (;;) {
      int received = 0;
      if (sigwait(&set_, &received) != 0) continue;
      std::unique_lock lock(mutex_);
      if (finished_) return;
      const char* name = received == SIGTERM ? "SIGTERM" : "SIGINT";
      if (stopping || !server_) {
        std::fprintf(stderr, "apex: %s: exiting now\n", name);
        std::_Exit(stopping ? kExitFailure : kExitOk);
      }
      stopping = true;
      std::fprintf(stderr, "apex: %s: no new connections; finishing the requests in flight\n", name);
      if (server_ && !finished_) server_->stop();
    }
  }

  sigset_t set_;
  std::mutex mutex_;
  ApiServer* server_ = nullptr;
  bool finished_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

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
        std::fprintf(stderr, "apex: data source readable now: %s in %s\n",
                     counted((*catalog)->tracks().size(), "track").c_str(),
                     cache_.store().describe().c_str());
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
    std::optional<std::string> web_dir;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("--data-dir", options->data_dir,
                  "Folder with one subfolder per track (overrides DATA_DIR)");
  cmd->add_option("--port", options->port,
                  "TCP port (overrides PORT; default 8000; 0: any free port, logged)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", options->host, "Address to listen on (overrides HOST; default 127.0.0.1)");
  cmd->add_option("--web-dir", options->web_dir,
                  "Built dashboard to serve at / (overrides WEB_DIR; default web/dist, then "
                  "<apex binary>/../web/dist)");
  return [options]() {
    auto config = load_config_or_report(options->data_dir);
    if (!config) return kExitConfiguration;
    // glibc gives threads that allocate their own malloc arenas (up to 8 per core) and keeps
    // what is freed in them: with 64 worker threads loading and evicting sessions in turn,
    // resident memory grows to twice what CACHE_MAX_MB allows (bench/reliability.md). Two
    // arenas keep it near the cache's bound. MALLOC_ARENA_MAX, when set, still decides.
    if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
    ShutdownSignals signals;  // before the store, the cache and the server start threads
    if (options->host) config->host = *options->host;
    if (options->port) config->port = static_cast<std::uint16_t>(*options->port);
    const bool s3 = config->s3.enabled;
    if (s3) {
      log_s3_source(config->s3);
    } else if (std::error_code ec; !std::filesystem::is_directory(config->data_dir, ec)) {
      // A local folder does not come back by itself: a wrong path is a configuration error.
      std::fprintf(stderr, "apex: %s\n", missing_data_folder_message(config->data_dir).c_str());
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
      std::fprintf(stderr, "apex: %s in %s\n", counted((*catalog)->tracks().size(), "track").c_str(),
                   store->describe().c_str());
    }
    // The dashboard is optional: without it the API runs as before and `/` answers JSON.
    if (options->web_dir) config->web_dir = *options->web_dir;
    auto dashboard = locate_dashboard(config->web_dir);
    if (dashboard.dir)
      std::fprintf(stderr, "apex: dashboard from %s\n", dashboard.dir->c_str());
    else
      std::fprintf(stderr,
                   "apex: dashboard not built (no index.html in %s): `/` answers JSON; build it with "
                   "`make build` or `cd web && npm ci && npm run build`\n",
                   dashboard.looked.c_str());
    set_dashboard_dir_option(dashboard.dir ? dashboard.dir : config->web_dir);
    ServerOptions server_options;
    server_options.host = config->host;
    server_options.port = config->port;
    server_options.cors_origins = config->cors_origins;
    server_options.max_connections_per_client = config->max_connections_per_client;
    server_options.api_token = config->api_token;
    // Whether a token is needed, never the token.
    if (!config->api_token.empty())
      std::fprintf(stderr,
                   "apex: /api requests need 'Authorization: Bearer <API_TOKEN>' (API_TOKEN is set)\n");
    ApiServer server(cache, server_options);
    // Attached once the listening socket exists: a signal before that exits at once.
    auto status = server.run([&] { signals.attach(server); });
    signals.detach();
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
