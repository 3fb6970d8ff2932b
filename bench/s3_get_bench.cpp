// S3 figures for bench/README.md, against a running s3rver (bench/s3_get_bench.sh starts
// one and compares with curl in the same run):
//   - requests to list the bucket and load one race (a counting ObjectStore wrapper, and
//     the HTTP requests s3rver logged when S3RVER_LOG names its log);
//   - time of a cached session's revalidation (SessionCache re-list, and one conditional
//     GET answered 304);
//   - GET throughput of a large object through S3Store.
// Environment: S3_ENDPOINT_URL (required), S3_BUCKET_NAME (default apex-bench),
// S3RVER_LOG, S3RVER_PID, BENCH_RAW_GET, BENCH_OBJECT_MB (default 500). The large object is bench/large.bin.
// Not a Google Benchmark: each figure needs a set-up that a benchmark loop would repeat.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "formats/telemetry_parser.h"
#include "load/session_loader.h"
#include "load/telemetry_loader.h"
#include "server/session_cache.h"
#include "storage/s3_store.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using apex::ObjectStore;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// User and system CPU seconds of a process (0: this one) from /proc; 0 when unreadable.
double process_cpu_seconds(int pid) {
  if (pid < 0) return 0;
  std::ifstream stat(pid ? "/proc/" + std::to_string(pid) + "/stat" : std::string("/proc/self/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Forwards every call and counts them, by kind.
class CountingStore final : public ObjectStore {
 public:
  explicit CountingStore(ObjectStore& inner) : inner_(inner) {}
  apex::Result<apex::Listing> list(std::string_view prefix, std::optional<char> delimiter) override {
    ++lists;
    return inner_.list(prefix, delimiter);
  }
  apex::Result<apex::ObjectInfo> stat(std::string_view key) override {
    ++stats;
    return inner_.stat(key);
  }
  apex::Status read(std::string_view key, apex::ByteRange range, const apex::ByteSink& sink) override {
    ++reads;
    return inner_.read(key, range, sink);
  }
  apex::Status write(std::string_view key, const apex::ByteSource& source) override {
    return inner_.write(key, source);
  }
  apex::Status remove(std::string_view key) override { return inner_.remove(key); }
  std::string describe() const override { return inner_.describe(); }

  std::string counts() const {
    return std::to_string(lists.load()) + " list, " + std::to_string(stats.load()) + " stat, " +
           std::to_string(reads.load()) + " read";
  }
  void reset() { lists = stats = reads = 0; }
  std::atomic<int> lists = 0, stats = 0, reads = 0;

 private:
  ObjectStore& inner_;
};

// Completed requests in s3rver's log: each ends with "STATUS TIMEms SIZE".
int logged_requests() {
  std::string path = env_or("S3RVER_LOG", "");
  if (path.empty()) return -1;
  // s3rver writes its log asynchronously: let the last lines land.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::ifstream in(path);
  static const std::regex done(R"( [1-5][0-9][0-9] [0-9.]+m?s [0-9.]+[kKmMgG]?b\s*$)");
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, done)) ++n;
  return n;
}

void fail(const std::string& what, const apex::Error& error) {
  std::fprintf(stderr, "s3_get_bench: %s: %s\n", what.c_str(), error.describe().c_str());
  std::exit(1);
}

}  // namespace

int main() {
  apex::S3Settings settings;
  settings.enabled = true;
  settings.endpoint_url = env_or("S3_ENDPOINT_URL", "");
  settings.bucket = env_or("S3_BUCKET_NAME", "apex-bench");
  settings.access_key_id = settings.secret_access_key = "S3RVER";
  settings.prefix = "data/";
  if (settings.endpoint_url.empty()) {
    std::fprintf(stderr, "s3_get_bench: set S3_ENDPOINT_URL (bench/s3_get_bench.sh does)\n");
    return 2;
  }
  apex::S3Store s3(settings);

  // The committed data/ tree, under data/.
  const fs::path data = fs::path(APEX_SOURCE_DIR) / "data";
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (auto ok = s3.write_all(fs::relative(entry.path(), data).generic_string(), bytes.str()); !ok)
      fail("upload", ok.error());
  }

  // 1. Requests to list the bucket and load one race.
  CountingStore counting(s3);
  int before = logged_requests();
  auto catalog = apex::Catalog::build(counting);
  if (!catalog) fail("catalog", catalog.error());
  std::printf("catalog of %zu tracks: %s; HTTP requests logged by s3rver: %d\n", catalog->tracks().size(),
              counting.counts().c_str(), before < 0 ? -1 : logged_requests() - before);
  const auto* track = catalog->find_track("barber-motorsports-park");
  const auto* session = track ? track->find_session("R1") : nullptr;
  if (!session) {
    std::fprintf(stderr, "s3_get_bench: barber-motorsports-park R1 not found\n");
    return 1;
  }
  counting.reset();
  before = logged_requests();
  auto loaded = apex::load_session(counting, *track, *session);
  if (!loaded) fail("load", loaded.error());
  std::printf("load barber-motorsports-park R1 (%zu files in the catalog): %s; HTTP requests logged: %d\n",
              session->files.size(), counting.counts().c_str(), before < 0 ? -1 : logged_requests() - before);

  // 2. Revalidation of a cached session: with a zero interval, every request re-lists.
  counting.reset();
  apex::SessionCache cache(counting, std::size_t{1} << 30, std::chrono::milliseconds(0));
  if (auto first = cache.session(track->id, "R1"); !first) fail("cache load", first.error());
  counting.reset();
  before = logged_requests();
  constexpr int kRevalidations = 20;
  std::vector<double> times;
  for (int i = 0; i < kRevalidations; ++i) {
    auto start = Clock::now();
    auto again = cache.session(track->id, "R1");
    times.push_back(seconds_since(start) * 1e3);
    if (!again) fail("revalidate", again.error());
  }
  int logged = before < 0 ? -1 : logged_requests() - before;
  std::printf(
      "cached session revalidation (SessionCache re-list): median %.2f ms over %d; per revalidation %s/%d; "
      "HTTP requests logged: %d for %d\n",
      median(times), kRevalidations, counting.counts().c_str(), kRevalidations, logged, kRevalidations);
  const auto* lap_time = session->find(apex::FileKind::LapTime);
  times.clear();
  for (int i = 0; lap_time && i < kRevalidations; ++i) {
    auto start = Clock::now();
    auto check = s3.read_if_changed(lap_time->key, lap_time->version,
                                    [](std::string_view) -> apex::Status { return {}; });
    times.push_back(seconds_since(start) * 1e3);
    if (!check) fail("conditional GET", check.error());
    if (check->changed) std::fprintf(stderr, "s3_get_bench: conditional GET read the object again\n");
  }
  if (lap_time)
    std::printf("conditional GET of an unchanged object (304): median %.2f ms over %d\n", median(times),
                kRevalidations);

  // 3. GET throughput of a large object.
  const std::uint64_t megabytes = std::strtoull(env_or("BENCH_OBJECT_MB", "500").c_str(), nullptr, 10);
  const std::uint64_t size = megabytes * 1000 * 1000;
  // Outside data/, so it is never a track.
  auto big_settings = settings;
  big_settings.prefix = "bench/";
  apex::S3Store big(big_settings);
  const std::string key = "large.bin";
  if (auto info = big.stat(key); !info || info->size != size) {
    std::uint64_t sent = 0;
    auto start = Clock::now();
    auto ok = big.write(key, [&](char* buf, std::size_t capacity) -> apex::Result<std::size_t> {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, size - sent));
      for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<char>((sent + i) * 2654435761u >> 24);
      sent += n;
      return n;
    });
    if (!ok) fail("upload large object", ok.error());
    std::printf("PUT %llu MB through S3Store (multipart): %.2f s\n",
                static_cast<unsigned long long>(megabytes), seconds_since(start));
  }
  for (int run = 1; run <= 3; ++run) {
    std::uint64_t received = 0;
    auto start = Clock::now();
    auto ok = big.read(key, {}, [&](std::string_view chunk) -> apex::Status {
      received += chunk.size();
      return {};
    });
    double elapsed = seconds_since(start);
    if (!ok) fail("GET large object", ok.error());
    std::printf("GET %llu MB through S3Store, run %d: %.2f s, %.0f MB/s\n",
                static_cast<unsigned long long>(received / 1000 / 1000), run, elapsed,
                received / elapsed / 1e6);
  }

  // 4. Cold load of a telemetry file from S3 into the columnar model: parallel
  // ranged GETs parsed as they arrive, against one GET (parallel_reads = 1). The shell
  // script GETs the same object with curl for the raw download time.
  const std::string telemetry_file = env_or("APEX_TELEMETRY_FILE", "/tmp/telemetry_1g.csv");
  if (!fs::exists(telemetry_file)) {
    std::printf(
        "telemetry load skipped: no %s (python3 ../shared/tools/gen_telemetry.py --size-mb 1024 "
        "--seed 42 -o %s)\n",
        telemetry_file.c_str(), telemetry_file.c_str());
    return 0;
  }
  const std::string telemetry_key = "telemetry.csv";
  const auto telemetry_size = static_cast<std::uint64_t>(fs::file_size(telemetry_file));
  if (auto info = big.stat(telemetry_key); !info || info->size != telemetry_size) {
    std::ifstream in(telemetry_file, std::ios::binary);
    auto ok = big.write(telemetry_key, [&](char* buf, std::size_t capacity) -> apex::Result<std::size_t> {
      in.read(buf, static_cast<std::streamsize>(capacity));
      return static_cast<std::size_t>(in.gcount());
    });
    if (!ok) fail("upload telemetry", ok.error());
  }
  // Rounds of four loads, alternated and rotated so that the server's drift (s3rver's heap
  // grows with its requests) falls on every case alike, and curl's raw download of the same
  // object in each round when BENCH_RAW_GET holds its command (the shell script sets it):
  //   - load_telemetry as the service runs it: 4 ranged GETs at once sized by
  //     default_range_bytes, each range parsed by the thread that receives it, the readers
  //     10 nice steps down;
  //   - the same with the readers at this thread's priority (worker_nice_steps 0);
  //   - the same with 2 ranged GETs at once (2 parsing readers, one per core);
  //   - one GET, which also checks the body against its MD5 ETag, streamed to two parsing
  //     threads.
  // CPU: of this process, and of s3rver when S3RVER_PID names it. The medians close it.
  apex::S3StoreOptions four_reads, two_reads, one_read;
  two_reads.parallel_reads = 2;
  one_read.parallel_reads = 1;
  apex::S3Store store(big_settings, four_reads);
  apex::S3Store two_read_store(big_settings, two_reads);
  apex::S3Store single_store(big_settings, one_read);
  struct LoadCase {
    const char* name;
    apex::ObjectStore& store;
    unsigned threads;
    int worker_nice_steps;
    std::vector<double> seconds = {};
  };
  const int default_nice = apex::TelemetryParseOptions{}.worker_nice_steps;
  LoadCase cases[] = {
      {"load_telemetry, 4 ranged GETs parsed where they land", store, 2, default_nice},
      {"the same, readers at this thread's priority", store, 2, 0},
      {"the same with 2 ranged GETs", two_read_store, 2, default_nice},
      {"one GET (MD5-checked), 2 parsing threads", single_store, 2, default_nice},
  };
  const std::string raw_get = env_or("BENCH_RAW_GET", "");
  const int server_pid = std::atoi(env_or("S3RVER_PID", "-1").c_str());  // -1: not known
  const int rounds = std::max(1, std::atoi(env_or("BENCH_LOAD_ROUNDS", "5").c_str()));
  std::vector<double> curl_seconds;
  for (int round = 1; round <= rounds; ++round) {
    if (!raw_get.empty()) {
      const double server_before = process_cpu_seconds(server_pid);
      auto start = Clock::now();
      if (std::system(raw_get.c_str()) != 0) std::printf("raw GET with curl failed\n");
      const double elapsed = seconds_since(start);
      curl_seconds.push_back(elapsed);
      std::printf("round %d: curl GET of telemetry.csv: %.2f s, %.0f MB/s; s3rver CPU %.2f s\n", round,
                  elapsed, telemetry_size / elapsed / 1e6, process_cpu_seconds(server_pid) - server_before);
    }
    // Each round starts at the next case, so that no case always follows curl's GET (after
    // which s3rver has just streamed 1 GiB) or always precedes it.
    constexpr std::size_t kCases = std::size(cases);
    for (std::size_t i = 0; i < kCases; ++i) {
      LoadCase& c = cases[(static_cast<std::size_t>(round - 1) + i) % kCases];
      apex::TelemetryParseOptions parse;
      parse.threads = c.threads;
      parse.worker_nice_steps = c.worker_nice_steps;
      const double cpu_before = process_cpu_seconds(0), server_before = process_cpu_seconds(server_pid);
      auto start = Clock::now();
      auto telemetry = apex::load_telemetry(c.store, telemetry_key, parse);
      const double elapsed = seconds_since(start);
      if (!telemetry) fail("load telemetry", telemetry.error());
      c.seconds.push_back(elapsed);
      std::printf(
          "round %d: cold telemetry load from S3 (%s): %.2f s, %.0f MB/s, %zu samples; CPU %.2f s, "
          "s3rver CPU %.2f s\n",
          round, c.name, elapsed, telemetry_size / elapsed / 1e6, telemetry->samples(),
          process_cpu_seconds(0) - cpu_before, process_cpu_seconds(server_pid) - server_before);
    }
  }
  const double curl_median = curl_seconds.empty() ? 0 : median(curl_seconds);
  if (curl_median > 0) std::printf("median of %d rounds: curl GET %.2f s\n", rounds, curl_median);
  for (LoadCase& c : cases) {
    const double m = median(c.seconds);
    if (curl_median > 0)
      std::printf("median of %d rounds: %s: %.2f s, %.2fx curl's\n", rounds, c.name, m, m / curl_median);
    else
      std::printf("median of %d rounds: %s: %.2f s\n", rounds, c.name, m);
  }
  return 0;
}
