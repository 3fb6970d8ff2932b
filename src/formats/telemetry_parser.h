// Streaming parser of GR Cup telemetry files into the columnar Telemetry model.
//
// Two layouts, told apart by the header (columns are found by name, in any order): long
// format, one row per channel sample (vehicle_id, timestamp, telemetry_name,
// telemetry_value, optionally lap and meta_time); and JSON-in-CSV (Sebring R2), one row per
// timestamp whose `value` column holds an array of pairs: {"name","value"} or
// {"telemetry_name","telemetry_value"} objects or [name, value] arrays, numbers possibly as
// strings, null values skipped. The pairs are scanned in place, since a JSON DOM per row
// costs about ten times as much; anything the scan does not recognise goes to
// nlohmann_json, so odd but valid JSON still parses.
//
// Bytes arrive in chunks split anywhere. They are cut into blocks at row ends (a mapped file
// in place) and worker threads parse the blocks into per-thread column stages, never into
// rows of strings; finish() merges the stages series by series, sorts each by time and
// removes repeated samples, freeing each series' stages as it goes (a load's peak is about
// one staged copy). A file read in ranges is parsed by the threads that receive the ranges
// (TelemetryRangeParser). A row is one line, quoted or not: no telemetry field holds a line
// break, so a stray quote in a multi-gigabyte export costs one bad row ("unterminated
// quote") instead of the rest of the file, and row boundaries do not depend on the chunking.
// (formats/csv_reader keeps RFC 4180 for the small lap and official files.)
//
// For the same bytes the Telemetry is identical whatever the chunking, block size or thread
// count: of rows with the same (vehicle, timestamp, channel), the one kept has a valid lap,
// then the lowest lap, then the lowest value bits; the others count as duplicates, and keys
// whose repeats differ as conflicting.
//
// Threads: a TelemetryStreamParser is used from one thread (feed, then finish) and runs its
// own workers. Errors: a header without the telemetry columns is Corrupt, naming the file;
// unusable rows are counted in the report with the first reasons ("file line N: why").
// The parts are in formats/telemetry/; telemetry_parser.cpp cuts blocks, runs the workers
// and merges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "model/telemetry.h"

namespace apex {

struct TelemetryParseOptions {
  // Parsing workers (at least 1). A file read in ranges (TelemetryRangeParser) is parsed on
  // its reading threads instead, one per range read at once; this is then the merge's threads.
  unsigned threads = 2;
  std::size_t block_bytes = 2u << 20;       // bytes handed to a worker at a time
  std::size_t max_header_bytes = 1u << 20;  // a first line longer than this is not telemetry
  // Non-empty: keep only this vehicle_id's samples. The other rows are still read (the file
  // interleaves every car) but skipped before any number is parsed, so one car's load
  // costs a fraction of a full one in time and memory.
  std::string only_vehicle = {};
  // On x86-64 CPUs with AVX2 and BMI2 the separator loop runs a copy compiled for them;
  // false keeps the baseline code (the tests compare the two).
  bool simd = true;
  // The parsing workers (and the reading threads of a load in ranges, which parse) run this
  // many nice steps below the thread that creates them (Linux priorities are per thread), so
  // that the threads answering requests, and a local S3 server, get the CPU first. For a load
  // in ranges beside a local s3rver on two cores it matters: at the caller's priority the
  // readers' parse takes the CPU from the server and slows their own download
  // (bench/README.md#cold-telemetry-load-from-s3). 0 leaves them at the creator's priority.
  int worker_nice_steps = 10;
};

class TelemetryStreamParser {
 public:
  explicit TelemetryStreamParser(std::string object_key, TelemetryParseOptions options = {});
  ~TelemetryStreamParser();
  TelemetryStreamParser(const TelemetryStreamParser&) = delete;
  TelemetryStreamParser& operator=(const TelemetryStreamParser&) = delete;

  // Takes the next bytes of the file. Fails (and keeps failing) once the header shows
  // the file is not telemetry.
  Status feed(std::string_view chunk);
  // Parses what is left and returns the model. Call once.
  Result<Telemetry> finish();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The whole file in memory (no copy of the bytes is made). done_with, when given, is told
// of each part of bytes once it is parsed (from a worker thread; the parts do not overlap),
// so that a mapped file's pages can be dropped as the parse goes.
Result<Telemetry> parse_telemetry(std::string_view bytes, std::string_view object_key,
                                  const TelemetryParseOptions& options = {},
                                  std::function<void(std::string_view)> done_with = nullptr);

// One file that arrives as `ranges` consecutive byte ranges (of `size` bytes in all), read
// at once by `readers` threads, each parsing what it receives where it lands: no copy, no
// hand-over between threads, no range buffers. The rows cut by the ranges' edges are kept
// and parsed by finish(), with the rows of a range that arrived before range 0's header.
// Threads: take() from any reader, but one reader at a time per range, and each reader
// under its own index; finish() once, after every take().
class TelemetryRangeParser {
 public:
  TelemetryRangeParser(std::string object_key, std::uint64_t size, std::uint64_t ranges, unsigned readers,
                       TelemetryParseOptions options = {});
  ~TelemetryRangeParser();
  TelemetryRangeParser(const TelemetryRangeParser&) = delete;
  TelemetryRangeParser& operator=(const TelemetryRangeParser&) = delete;

  // The next bytes of range `range` (0-based from the file's start), read by `reader`.
  Status take(std::uint64_t range, unsigned reader, std::string_view bytes);
  Result<Telemetry> finish();

 private:
  std::unique_ptr<TelemetryStreamParser::Impl> impl_;
};

// Exposed for tests: the length of the longest prefix of bytes that ends with a newline
// (a row's end), or 0 when bytes hold no complete row.
std::size_t telemetry_row_prefix(std::string_view bytes);

}  // namespace apex
