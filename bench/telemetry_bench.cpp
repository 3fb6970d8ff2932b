// Telemetry ingest speed and memory: a long-format file from tools/gen_telemetry.py parsed
// into the columnar model (timestamps parsed, duplicates removed, series sorted).
//
//   python3 ../shared/tools/gen_telemetry.py --size-mb 1024 --seed 42 -o /tmp/telemetry_1g.csv
//   APEX_TELEMETRY_FILE=/tmp/telemetry_1g.csv ./build/telemetry_bench
//
// The file path comes from APEX_TELEMETRY_FILE (default /tmp/telemetry_1g.csv); without it
// the big-file benchmarks skip with a message and only the committed demo file is timed.
// Peak memory is measured in a forked child (its own ru_maxrss), so it is the peak of one
// load alone, not of this process's other benchmarks.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include "analysis/telemetry_laps.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "storage/forwarding_store.h"
#include "storage/local_store.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

fs::path telemetry_file() {
  const char* env = std::getenv("APEX_TELEMETRY_FILE");
  return env && *env ? fs::path(env) : fs::path("/tmp/telemetry_1g.csv");
}

// APEX_TELEMETRY_SIMD=0 runs the baseline x86-64 separator loop instead of its AVX2 copy
// (TelemetryParseOptions::simd), for an A/B on the same machine.
TelemetryParseOptions parse_options(unsigned threads) {
  TelemetryParseOptions options;
  options.threads = threads;
  const char* simd = std::getenv("APEX_TELEMETRY_SIMD");
  options.simd = !(simd && std::string_view(simd) == "0");
  return options;
}

bool skip_without_file(benchmark::State& state) {
  if (fs::is_regular_file(telemetry_file())) return false;
  state.SkipWithError(("no telemetry file at " + telemetry_file().string() +
                       ": generate one with ../shared/tools/gen_telemetry.py --size-mb 1024 --seed 42 -o " +
                       telemetry_file().string() + " or set APEX_TELEMETRY_FILE")
                          .c_str());
  return true;
}

// A size field of /proc/self/status ("VmRSS:", "RssAnon:") in bytes; 0 when absent.
double status_bytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == field) {
      double kb = 0;
      status >> kb;
      return kb * 1024.0;
    }
    status.ignore(1 << 10, '\n');
  }
  return 0;
}

// Resident memory (VmRSS), which also counts the pages of a mapped file: they belong to the
// page cache and are shared and reclaimable.
double resident_bytes() {
  return status_bytes("VmRSS:");
}

// Anonymous resident memory (RssAnon): what the process owns.
double anonymous_bytes() {
  return status_bytes("RssAnon:");
}

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void report(benchmark::State& state, const Telemetry& t) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(t.report.bytes));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(t.report.parse.rows));
  state.counters["rows"] = static_cast<double>(t.report.parse.rows);
  state.counters["samples"] = static_cast<double>(t.samples());
  state.counters["vehicles"] = static_cast<double>(t.vehicles.size());
  state.counters["model_B_per_sample"] =
      static_cast<double>(t.memory_bytes()) / static_cast<double>(std::max<std::size_t>(1, t.samples()));
}

// Peak memory of one load, in a child process, per row and per kept sample. The load maps
// the file, so the peak of VmRSS includes the file's pages (page cache); the peak of
// anonymous memory, sampled every millisecond, is what the load itself allocates.
void BM_PeakMemoryOfOneLoad(benchmark::State& state) {
  if (skip_without_file(state)) return;
  const fs::path file = telemetry_file();
  const auto threads = static_cast<unsigned>(state.range(0));
  // peak RSS bytes, rows, samples, model bytes, RSS at start, RSS held after the load,
  // peak anonymous bytes, anonymous bytes at start
  double figures[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (auto _ : state) {
    ::malloc_trim(0);  // the child starts with what the parent holds resident
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) {
      state.SkipWithError("pipe failed");
      return;
    }
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(pipe_fds[0]);
      const double start_rss = resident_bytes();
      const double start_anon = anonymous_bytes();
      std::atomic<bool> loading{true};
      double peak_anon = start_anon;
      std::thread sampler([&] {
        while (loading.load()) {
          peak_anon = std::max(peak_anon, anonymous_bytes());
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
      LocalStore store(file.parent_path());
      auto t = load_telemetry(store, file.filename().string(), parse_options(threads));
      loading = false;
      sampler.join();
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      ::malloc_trim(0);  // what the process keeps while it holds the model, as a server does
      double out[8] = {static_cast<double>(usage.ru_maxrss) * 1024.0,
                       t ? static_cast<double>(t->report.parse.rows) : 0,
                       t ? static_cast<double>(t->samples()) : 0,
                       t ? static_cast<double>(t->memory_bytes()) : 0,
                       start_rss,
                       resident_bytes(),
                       peak_anon,
                       start_anon};
      const ssize_t written = ::write(pipe_fds[1], out, sizeof out);
      ::_exit(written == static_cast<ssize_t>(sizeof out) ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    const ssize_t got = ::read(pipe_fds[0], figures, sizeof figures);
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (got != static_cast<ssize_t>(sizeof figures) || figures[1] == 0) {
      state.SkipWithError("the child process failed to load the file");
      return;
    }
  }
  state.counters["peak_rss_MB"] = figures[0] / 1e6;
  state.counters["peak_B_per_row"] = figures[0] / figures[1];
  state.counters["peak_B_per_sample"] = figures[0] / figures[2];
  state.counters["model_B_per_sample"] = figures[3] / figures[2];
  state.counters["rss_before_load_MB"] = figures[4] / 1e6;
  state.counters["held_B_per_sample"] = (figures[5] - figures[4]) / figures[2];
  state.counters["peak_anon_MB"] = figures[6] / 1e6;
  state.counters["peak_anon_B_per_row"] = (figures[6] - figures[7]) / figures[1];
}
BENCHMARK(BM_PeakMemoryOfOneLoad)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The local store without its mapping: the file comes in 1 MiB reads, copied into the
// parser's blocks by a feeding thread, as it did before LocalStore::map.
class ReadsOnly final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::unique_ptr<MappedFile>> map(std::string_view /*key*/) override {
    return std::unique_ptr<MappedFile>();
  }
};

// Full ingest from the local store as the server does it (with 2+ parsing threads the file
// is mapped and parsed in place; with one it is read, see load_telemetry), or with
// ReadsOnly (kReads) always by 1 MiB reads, on N parsing threads.
constexpr int kMapped = 0;
constexpr int kReads = 1;
void BM_LoadTelemetryFromDisk(benchmark::State& state) {
  if (skip_without_file(state)) return;
  const fs::path file = telemetry_file();
  LocalStore mapped_store(file.parent_path());
  ReadsOnly reads_store(mapped_store);
  ObjectStore& store = state.range(1) == kReads ? static_cast<ObjectStore&>(reads_store) : mapped_store;
  const TelemetryParseOptions options = parse_options(static_cast<unsigned>(state.range(0)));
  Telemetry last;
  const double cpu_before = process_cpu_seconds();
  for (auto _ : state) {
    auto t = load_telemetry(store, file.filename().string(), options);
    if (!t) {
      state.SkipWithError(t.error().describe().c_str());
      return;
    }
    last = std::move(*t);
    benchmark::DoNotOptimize(last.vehicles.data());
  }
  report(state, last);
  // CPU of every thread (reader and workers): bytes per core-second, which other load on
  // the machine does not change the way it changes wall time.
  const double cpu = (process_cpu_seconds() - cpu_before) / static_cast<double>(state.iterations());
  state.counters["process_cpu_s"] = cpu;
  state.counters["MB_per_core_s"] = static_cast<double>(last.report.bytes) / 1e6 / cpu;
}
BENCHMARK(BM_LoadTelemetryFromDisk)
    ->ArgNames({"threads", "by_reads"})
    ->Args({2, kMapped})
    ->Args({1, kReads})
    ->Args({2, kReads})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3);

// The floor: the same reads with only a newline count (memchr) on the chunks.
void BM_ReadAndCountNewlines(benchmark::State& state) {
  if (skip_without_file(state)) return;
  const fs::path file = telemetry_file();
  LocalStore store(file.parent_path());
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::uint64_t newlines = 0;
    bytes = 0;
    auto ok = store.read(file.filename().string(), ByteRange{}, [&](std::string_view chunk) -> Status {
      bytes += chunk.size();
      for (const char* p = chunk.data();
           (p = static_cast<const char*>(
                std::memchr(p, '\n', static_cast<std::size_t>(chunk.data() + chunk.size() - p))));
           ++p)
        ++newlines;
      return {};
    });
    benchmark::DoNotOptimize(newlines);
    if (!ok) state.SkipWithError(ok.error().describe().c_str());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ReadAndCountNewlines)->Unit(benchmark::kMillisecond)->UseRealTime();

// The committed demo file (2 MB), always available: small-file overheads.
void BM_LoadDemoTelemetry(benchmark::State& state) {
  LocalStore store(fs::path(APEX_SOURCE_DIR) / "data");
  const std::string key = "sonoma-raceway/Sonoma/Race 1/sonoma_telemetry_R1.csv";
  Telemetry last;
  for (auto _ : state) {
    auto t = load_telemetry(store, key);
    if (!t) {
      state.SkipWithError(t.error().describe().c_str());
      return;
    }
    last = std::move(*t);
  }
  report(state, last);
}
BENCHMARK(BM_LoadDemoTelemetry)->Unit(benchmark::kMillisecond)->UseRealTime();

// Slicing one lap with its distance axis from a loaded session.
void BM_SliceLap(benchmark::State& state) {
  LocalStore store(fs::path(APEX_SOURCE_DIR) / "data");
  auto t = load_telemetry(store, "sonoma-raceway/Sonoma/Race 1/sonoma_telemetry_R1.csv");
  if (!t || t->vehicles.empty()) {
    state.SkipWithError("demo telemetry did not load");
    return;
  }
  const VehicleTelemetry& vehicle = t->vehicles.front();
  const std::string_view channels[] = {"speed", "throttle", "brake"};
  const int lap = lap_windows(vehicle, nullptr).front().lap;
  for (auto _ : state) {
    auto slice = slice_lap(*t, vehicle, nullptr, lap, channels);
    benchmark::DoNotOptimize(slice->lap_length_m);
  }
}
BENCHMARK(BM_SliceLap)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace apex

BENCHMARK_MAIN();
