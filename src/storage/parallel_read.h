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
// Memory: at most `concurrency + 1` chunks are held (the one the sink is consuming and one
// per read in flight); a fast reader waits for a slow sink instead of buffering the object.
//
// Consistency: the object's version is taken before the first range and checked after the
// last, so ranges of two different versions are never delivered as one object (a change
// mid-read is Unavailable: try again). Each range must deliver exactly its length.
//
// Threads: blocks the calling thread, which runs the sink; the ranged reads run on
// `concurrency` threads of their own. The store must be safe to call from several threads
// (the ObjectStore contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/object_store.h"

namespace apex {

struct ParallelReadOptions {
  std::size_t chunk_bytes = 8u << 20;  // bytes per ranged read
  unsigned concurrency = 0;            // reads in flight; 0 = what the store prefers
};

// Streams the whole object `key` to sink, in order. Errors of the store or the sink stop
// every read and are passed back.
Status read_in_parallel(ObjectStore& store, std::string_view key, const ByteSink& sink,
                        const ParallelReadOptions& options = {});

}  // namespace apex
