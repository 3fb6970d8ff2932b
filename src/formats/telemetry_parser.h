// Streaming parser of GR Cup telemetry files into the columnar Telemetry model.
//
// Two layouts, told apart by the header (columns are found by name, in any order):
//   - long format: one row per channel sample, columns vehicle_id, timestamp,
//     telemetry_name, telemetry_value, and optionally lap and meta_time;
//   - JSON-in-CSV (Sebring R2): one row per timestamp, a `value` column holding a JSON
//     array of name/value pairs: [{"name":"speed","value":123.4},...] (also accepted:
//     "telemetry_name"/"telemetry_value" keys, [["speed",123.4],...] pairs, numbers as
//     strings, null values, which are skipped).
//
// Bytes arrive in chunks split anywhere (mid-row, mid-quote). The feeding thread copies
// them into blocks of about TelemetryParseOptions::block_bytes, cut at a row end, and
// worker threads parse whole blocks into per-thread column stages (8 bytes a sample: a time
// offset and the value, the lap code run-length encoded beside them); finish() merges the
// stages series by series, sorts every series by time, and removes duplicate samples,
// freeing each series' stages as it goes, so a load's peak is about one staged copy. Rows
// are never materialised as strings: fields are views into the block, numbers are parsed in
// place. A file in memory (mapped) is cut into blocks in place; a file read in ranges at once
// is parsed by the threads that receive them (TelemetryRangeParser; load/telemetry_loader
// does the reading).
//
// A row is one line: every newline ends a row, quoted or not. No telemetry field holds a
// line break (names, numbers, times, a JSON array of pairs), while a stray '"' in a
// multi-gigabyte export is the kind of damage these files have; under RFC 4180's rule
// (a newline inside quotes continues the field) one stray quote made the rest of the
// file one bad row and the session lost every car after it. So a quote still open at a
// line's end makes that row bad ("unterminated quote") and the next line is read as the
// next row. It also makes the result independent of how the bytes were chunked, with
// no quote counting: the block cutter and the row parser agree on every row boundary.
// (The CSV reader of the lap and official files keeps RFC 4180: those are small files
// whose quoted fields may hold line breaks.)
//
// Why the JSON pairs are parsed by hand: the shape is tiny and fixed, and nlohmann_json
// would build a DOM (a std::map and heap strings per pair) for every row, about ten
// times slower than scanning the pairs in place. Anything the hand parser does not
// recognise (escapes in strings, unexpected nesting) goes to nlohmann_json, so odd but
// valid JSON still parses.
//
// Determinism: for the same bytes the Telemetry is identical whatever the chunking,
// block size or thread count. Of several rows with the same (vehicle, timestamp,
// channel), the one kept is the one with a valid lap, then the lowest lap, then the
// lowest value bits; the others count as duplicates, and keys whose repeats differ are
// counted as conflicting.
//
// Where the parts are: formats/telemetry/ holds the header (telemetry_header), the row
// parsing of a worker (block_worker, json_rows, with field_text and separator_masks), its
// stages (sample_stage) and the merge of one series (series_finish); telemetry_parser.cpp
// cuts the bytes into blocks, runs the workers and merges.
//
// Threads: a TelemetryStreamParser is used from one thread (feed, then finish); it runs
// its own workers. Errors: a file whose header lacks the telemetry columns is a Corrupt
// error naming the file; rows that cannot be used are counted in the report with the
// first reasons ("file line N: why").
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
  // readers' parse takes the CPU from the server and slows their own download (1.04-1.32x
  // curl's download at the medians, against 0.82-1.19x: bench/README.md). 0 leaves them at
  // the creator's priority.
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
