// Lap timing speed: loading and analysing one race's timing files, and answering
// cached API requests over real HTTP on loopback.
//
//   make build && ./build/lap_timing_bench
//
// Uses the committed data/ folder (real Barber files), so it runs in any clone.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "load/session_loader.h"
#include "server/api_server.h"
#include "storage/local_store.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

const char* kTrack = "barber-motorsports-park";

// Files in memory first, so the figure is parsing and analysis, not the disk.
MemoryStore& barber_in_memory() {
  static MemoryStore* store = [] {
    auto* memory = new MemoryStore;
    LocalStore disk(std::string(APEX_SOURCE_DIR) + "/data");
    auto listing = disk.list(std::string(kTrack) + "/", std::nullopt);
    for (const auto& object : listing->objects)
      (void)memory->write_all(object.key, *disk.read_all(object.key));
    return memory;
  }();
  return *store;
}

void BM_LoadAndAnalyseRace(benchmark::State& state) {
  MemoryStore& store = barber_in_memory();
  auto catalog = Catalog::build(store);
  const TrackCatalog* track = catalog->find_track(kTrack);
  const SessionFiles* files = track->find_session("R1");
  std::size_t bytes = 0;
  for (const auto& [kind, object] : files->files) bytes += object.size;
  for (auto _ : state) {
    auto session = load_session(store, *track, *files);
    auto analysis = analyse_session(*session);
    benchmark::DoNotOptimize(analysis.best_lap);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["file_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_LoadAndAnalyseRace)->Unit(benchmark::kMillisecond);

// One keep-alive client against a warm server; reports the median and p99 latency.
void cached_request(benchmark::State& state, const std::string& path) {
  LocalStore store(std::string(APEX_SOURCE_DIR) + "/data");
  SessionCache cache(store, 256 << 20);
  ServerOptions options;
  options.port = 0;
  options.access_log = false;
  ApiServer server(cache, options);
  int port = *server.bind();
  std::thread serving([&] { (void)server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  if (auto warm = client.Get(path); !warm || warm->status != 200)
    state.SkipWithError("warm-up request failed");
  std::vector<double> micros;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto res = client.Get(path);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!res || res->status != 200) state.SkipWithError("request failed");
  }
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["median_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  }
  server.stop();
  serving.join();
}

void BM_CachedBestLap(benchmark::State& state) {
  cached_request(state, std::string("/api/analytics/track/") + kTrack + "/session/R1/best-lap");
}
BENCHMARK(BM_CachedBestLap)->Unit(benchmark::kMicrosecond)->Iterations(5000);

void BM_CachedPerformance(benchmark::State& state) {
  cached_request(
      state, std::string("/api/analytics/track/") + kTrack + "/session/R1/driver/GR86-022-13/performance");
}
BENCHMARK(BM_CachedPerformance)->Unit(benchmark::kMicrosecond)->Iterations(5000);

}  // namespace
}  // namespace apex

BENCHMARK_MAIN();
