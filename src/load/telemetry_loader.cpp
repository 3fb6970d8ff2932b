#include "load/telemetry_loader.h"

#include <memory>
#include <string>

#include "core/thread_priority.h"
#include "storage/mapped_file.h"

namespace apex {

namespace {

// *written_to: the file was written to while it was parsed (MappedFile::changed()).
Result<Telemetry> parse_mapped_once(const MappedFile& file, std::string_view key,
                                    const TelemetryParseOptions& options, bool* written_to) {
  auto telemetry = parse_telemetry(file.bytes(), key, options,
                                   [&file](std::string_view parsed) { file.drop_pages(parsed); });
  if (file.damaged())
    return make_error(ErrorKind::Unavailable, "'" + std::string(key) +
                                                  "' was truncated while being read (replaced in place?); "
                                                  "try again");
  if (file.changed()) {
    *written_to = true;
    return make_error(ErrorKind::Unavailable,
                      "'" + std::string(key) + "' was written to while being read; try again");
  }
  return telemetry;
}

// A file written to in place while it was parsed (an editor's save, a copy over it) gave a
// mix of two versions, which the cache would keep and serve as the file: that parse is
// dropped and the file mapped and read once more, as it is now; written to again meanwhile,
// the load fails (Unavailable) rather than answer with a mix.
Result<Telemetry> parse_mapped(ObjectStore& store, std::string_view key, const TelemetryParseOptions& options,
                               std::unique_ptr<MappedFile> file) {
  bool written_to = false;
  auto telemetry = parse_mapped_once(*file, key, options, &written_to);
  if (!written_to) return telemetry;
  file.reset();
  auto again = store.map(key);
  if (!again) return std::unexpected(again.error());
  if (!*again) return telemetry;  // no mapping to be had now: the change is the answer
  return parse_mapped_once(**again, key, options, &written_to);
}

// One read in ranges, parsed as the bytes arrive; *checksum_mismatch as in
// read_ranges_in_parallel.
Result<Telemetry> parse_ranges_once(ObjectStore& store, std::string_view key, const RangePlan& plan,
                                    const TelemetryParseOptions& options, bool* checksum_mismatch) {
  TelemetryRangeParser parser(std::string(key), plan.size, plan.ranges, plan.readers, options);
  auto sink = [&parser](const RangePiece& piece) {
    return parser.take(piece.range, piece.reader, piece.bytes);
  };
  auto read = read_ranges_in_parallel(
      store, key, plan, sink, [&options] { lower_this_thread_priority(options.worker_nice_steps); },
      checksum_mismatch);
  if (!read) return std::unexpected(read.error());
  return parser.finish();
}

// Bytes that fail the object's stored checksum were damaged on the way: what the parser
// made of them is dropped and the object read once more, like any transient fault; damaged
// twice, the load fails (Unavailable), never answers with the damaged bytes.
Result<Telemetry> parse_in_ranges(ObjectStore& store, std::string_view key, const RangePlan& plan,
                                  const TelemetryParseOptions& options) {
  bool checksum_mismatch = false;
  auto telemetry = parse_ranges_once(store, key, plan, options, &checksum_mismatch);
  if (telemetry || !checksum_mismatch) return telemetry;
  checksum_mismatch = false;
  telemetry = parse_ranges_once(store, key, plan, options, &checksum_mismatch);
  if (telemetry || !checksum_mismatch) return telemetry;
  return make_error(ErrorKind::Unavailable, telemetry.error().message + " (read twice, damaged both times)");
}

}  // namespace

Result<Telemetry> load_telemetry(ObjectStore& store, std::string_view key,
                                 const TelemetryParseOptions& options, const ParallelReadOptions& reads) {
  // From disk with two or more parsing threads, the file as one mapping: parsed in place,
  // no read buffer, no copy; each block's pages are dropped once parsed. With one parsing
  // thread, reads are faster: this thread reads and copies while the parser runs on another
  // core, where a mapping puts every page fault on the parser
  // (bench/README.md#telemetry-ingest).
  auto mapped = options.threads >= 2 ? store.map(key) : Result<std::unique_ptr<MappedFile>>();
  if (!mapped) return std::unexpected(mapped.error());
  if (*mapped) return parse_mapped(store, key, options, std::move(*mapped));
  // From S3, ranged GETs at once, each range parsed by the thread that receives it.
  auto plan = plan_ranges(store, key, reads);
  if (!plan) return std::unexpected(plan.error());
  if (plan->ranges > 1) return parse_in_ranges(store, key, *plan, options);
  // One read: a small object, or a store that prefers one read.
  TelemetryStreamParser parser(std::string(key), options);
  auto read = store.read(key, ByteRange{}, [&](std::string_view bytes) { return parser.feed(bytes); });
  if (!read) return std::unexpected(read.error());
  return parser.finish();
}

}  // namespace apex
