// Reads one large object as several ranged reads in flight at once and hands the bytes to
// a sink in order, so that whatever consumes them (the telemetry parser) works while the
// rest of the object is still arriving.
//
// Why: a single S3 GET is one TCP stream whose rate is bounded by one connection and one
// server thread; several ranged GETs of a few MiB each are how the AWS SDKs, DuckDB's
// httpfs and `aws s3 cp` reach a link's bandwidth. On a local disk one sequential read is
// already as fast as the page cache, so stores say how many reads are worth running at once
// (ObjectStore::parallel_reads()) and this falls back to one read when that is 1.
//
// Delivery: the chunk at the head of the object goes to the sink while it arrives, in
// pieces of at least `min_piece_bytes`, so large ranges cost no wait before the first
// byte is consumed, and the last range is consumed as fast as it lands.
//
// Range size: a few large ranges rather than many small ones. Each request has a cost on
// the server (against the local s3rver, 8 MiB ranges cost it twice the CPU of 32 MiB ones
// for the same bytes: bench/README.md) and a first-byte latency on S3. By default each
// read in flight runs about four ranges, of 8 to 32 MiB (default_chunk_bytes).
//
// Memory: at most `concurrency + 1` chunks are read into at once (the one the sink is
// consuming and one per read in flight), plus those whose pieces a SharedByteSink still
// holds; a fast reader waits for a slow sink instead of buffering the object.
//
// Consistency: the object's version is taken before the first range and checked after the
// last, so ranges of two different versions are never delivered as one object (a change
// mid-read is Unavailable: try again). Each range must deliver exactly its length. On an
// error the sink may have had part of the object.
//
// Threads: blocks the calling thread, which runs the sink; the ranged reads run on
// `concurrency` threads of their own. The store must be safe to call from several threads
// (the ObjectStore contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "storage/object_store.h"

namespace apex {

struct ParallelReadOptions {
  std::size_t chunk_bytes = 0;             // bytes per ranged read; 0 = default_chunk_bytes
  unsigned concurrency = 0;                // reads in flight; 0 = what the store prefers
  std::size_t min_piece_bytes = 1u << 20;  // least the sink is woken for, unless a chunk ends
};

// The range size when chunk_bytes is 0: a quarter of the object's share of each read in
// flight, clamped to [8 MiB, 32 MiB].
std::size_t default_chunk_bytes(std::uint64_t object_size, unsigned concurrency);

// Bytes of the object that stay valid for as long as `owner` is held, so that a consumer
// can keep them past the call (the telemetry parser hands them to its workers instead of
// copying them). A null owner means the bytes are valid during the call only.
struct SharedBytes {
  std::string_view bytes;
  std::shared_ptr<const void> owner;
};
using SharedByteSink = std::function<Status(const SharedBytes& piece)>;

// Streams the whole object `key` to sink, in order. Errors of the store or the sink stop
// every read and are passed back.
Status read_in_parallel(ObjectStore& store, std::string_view key, const ByteSink& sink,
                        const ParallelReadOptions& options = {});

// The same, handing over pieces that may be kept. A range's buffer is reused once the
// reader and every holder of its pieces have let go of it, so holding pieces long holds
// memory. When the store reads the object in one read, pieces have no owner.
Status read_in_parallel(ObjectStore& store, std::string_view key, const SharedByteSink& sink,
                        const ParallelReadOptions& options = {});

}  // namespace apex
