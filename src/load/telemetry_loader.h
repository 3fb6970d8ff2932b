// A telemetry file from a store, parsed into the columnar model as it is read: mapped and
// parsed in place from disk, read in ranges at once and parsed by the reading threads from
// S3, or streamed through the parser from any other store.
#pragma once

#include <string_view>

#include "core/error.h"
#include "formats/telemetry_parser.h"
#include "model/telemetry.h"
#include "storage/object_store.h"
#include "storage/parallel_read.h"

namespace apex {

// Loads key from any store. A file on disk is mapped and parsed in place; if it was written
// to meanwhile (a mix of two versions), it is read once more, and fails if written to again.
// From a store that
// reads in ranges (S3: ObjectStore::parallel_reads(), or `reads`), the object is read in
// ranges, several at once, and each reading thread parses what it receives where it lands,
// in the HTTP client's buffer (TelemetryRangeParser: less CPU than parsing in order behind
// the reads, bench/README.md#cold-telemetry-load-from-s3). The readers are then the parsing
// threads (`threads` is the merge's), each at worker_nice_steps below the caller. Otherwise the
// object is read in one read and streamed through TelemetryStreamParser. Errors of the
// store are passed back; the report's bytes are the object's.
Result<Telemetry> load_telemetry(ObjectStore& store, std::string_view key,
                                 const TelemetryParseOptions& options = {},
                                 const ParallelReadOptions& reads = {});

}  // namespace apex
