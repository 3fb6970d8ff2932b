// Reads one large object as several ranged reads at once and hands each range's bytes, as
// they arrive, to a sink on the thread that reads them, so that whatever consumes them (the
// telemetry parser) works where the bytes land, while the rest is still arriving.
//
// Why: a single S3 GET is one TCP stream whose rate is bounded by one connection and one
// server thread; several ranged GETs of a few MiB each are how the AWS SDKs, DuckDB's
// httpfs and `aws s3 cp` reach a link's bandwidth. On a local disk one sequential read is
// already as fast as the page cache, so stores say how many reads are worth running at once
// (ObjectStore::parallel_reads()) and a plan of no ranges says to read the object whole.
//
// Why on the reading thread: delivering the object in order to one consumer takes a buffer
// per range, a copy of every byte and a hand-over between threads, a large share of a cold
// load's CPU beside the parse (bench/README.md#cold-telemetry-load-from-s3). A consumer
// that can take ranges out of order (the parser joins the rows cut by the ranges' edges at
// the end) needs none of it, and a slow consumer slows its own connection (TCP flow
// control) instead of filling memory.
//
// Range size: a few large ranges rather than many small ones. Each request costs the
// server CPU and, on S3, a first-byte latency (bench/README.md#cold-telemetry-load-from-s3
// has what range sizes cost s3rver). Since nothing is buffered, a range's size costs no
// memory. By default each read at once runs about two ranges, of 8 to 128 MiB
// (default_range_bytes); ranges are taken in order by whichever reader is free, so a slow
// connection gets fewer of them, and a failed connection is resumed by the store from the
// byte where it broke (S3Store).
//
// Consistency: the object's version is taken in the plan and checked after the last range,
// so ranges of two different versions are never passed off as one object (a change
// mid-read is Unavailable: try again). Each range must deliver exactly its length. On an
// error the sink may have had part of the object.
//
// Verification: where the store keeps a checksum of the whole object (StoredChecksums: a
// full-object CRC32C, or `apex upload`'s XXH3-128 or MD5), the bytes read are checked
// against it (storage/range_checksum.h) before success is answered; a mismatch is
// Unavailable naming the object, and the caller must drop what the sink made of the bytes.
// An object without one is read unverified.
//
// Threads: the readers are threads of their own; the caller waits. The store must be safe
// to call from several threads (the ObjectStore contract), and the sink is called from
// several threads at once (never for the same range at once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/object_store.h"

namespace apex {

struct ParallelReadOptions {
  std::size_t range_bytes = 0;  // bytes per ranged read; 0 = default_range_bytes
  unsigned concurrency = 0;     // reads in flight; 0 = what the store prefers
};

// The range size when range_bytes is 0: half of the object's share of each read at once,
// clamped to [8 MiB, 128 MiB].
std::size_t default_range_bytes(std::uint64_t object_size, unsigned concurrency);

// One piece of one range, handed over on the thread that reads the range. The bytes are
// valid during the call only (they are the HTTP client's receive buffer).
struct RangePiece {
  unsigned reader = 0;      // which reading thread, 0..readers-1: a sink keeps state per reader
  std::uint64_t range = 0;  // index of the range, from the object's start
  std::string_view bytes;
};
using RangeSink = std::function<Status(const RangePiece& piece)>;

struct RangePlan {
  std::uint64_t size = 0;  // of the object
  std::uint64_t range_bytes = 0;
  std::uint64_t ranges = 0;
  unsigned readers = 0;
  std::string version;        // of the object when planned
  StoredChecksums checksums;  // of the object when planned; none: read unverified
};

// The ranges read_ranges_in_parallel would read: none (ranges == 0) when the store prefers
// one read or the object fits in one range, so that a caller can read it whole instead.
Result<RangePlan> plan_ranges(ObjectStore& store, std::string_view key,
                              const ParallelReadOptions& options = {});

// Reads the object in the planned ranges, `readers` at a time, and hands each range's bytes
// to sink on the thread that read them, in order within the range; ranges are taken in
// order and end in any order. Nothing is buffered but what an in-order checksum holds.
// on_reader_start, when given, runs first on each reader thread. A failed range, or the
// sink's error, stops every reader and is passed back. *checksum_mismatch, when given, is
// set when every byte arrived but they do not match the stored checksum (worth one more
// read: the damage was on the way).
Status read_ranges_in_parallel(ObjectStore& store, std::string_view key, const RangePlan& plan,
                               const RangeSink& sink, const std::function<void()>& on_reader_start = {},
                               bool* checksum_mismatch = nullptr);

}  // namespace apex
