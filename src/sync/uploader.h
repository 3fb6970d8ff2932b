// The engine of `apex upload`: sends a scanned local tree to an S3Store with sync
// semantics. Files go up `jobs` at a time; a file above the multipart threshold goes up as
// parts sent in parallel, read straight from disk with pread, so memory stays at about
// jobs x part size. Every request is retried by the store (per part for multipart), every
// body carries a checksum the server verifies (Content-MD5; x-amz-checksum-sha256 for a
// large file in one PUT), and every object gets its whole-content hash as metadata
// (x-amz-meta-md5 for small files, x-amz-meta-sha256 for large ones) so later runs can skip
// it even when its ETag is not an MD5 (multipart, KMS).
//
// Cancellation: once `cancel` becomes true no new file or part starts; multipart uploads in
// flight are aborted (no orphaned parts) and the report says how many files were not
// started. A re-run then skips what completed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/s3_store.h"
#include "sync/progress_reporter.h"
#include "sync/tree_scanner.h"

namespace apex::sync {

struct UploadOptions {
  int jobs = 8;  // files (and parts) in flight at once
  std::uint64_t multipart_threshold = 16 * kMebibyte;
  std::uint64_t part_size = 8 * kMebibyte;
  bool force = false;  // send even unchanged files
  // Decide and report, change nothing: also lists the incomplete multipart uploads under
  // the prefix and what a run would do with each (resume or abort, and why).
  bool dry_run = false;
  // Keys removed after the uploads (--delete), planned and confirmed by the caller with
  // planned_deletions(); empty: none.
  std::vector<std::string> deletions;
  std::string acl;              // canned ACL for every object, "" none
  bool acl_optional = false;    // a bucket refusing ACLs: warn once and send without
  std::string location_prefix;  // for messages: "s3://bucket/data/"
};

// What --delete removes: the objects of remote with no local file, except those at or under
// a path of the scan that could not be read.
std::vector<std::string> planned_deletions(const TreeScan& scan, const Listing& remote);

// remote: the listing of the destination (keys relative to the store's prefix). The scan's
// unreadable paths are reported first, and make the summary a failure.
TransferSummary upload_tree(S3Store& store, const TreeScan& scan, const Listing& remote,
                            const UploadOptions& options, ProgressReporter& progress,
                            const std::atomic<bool>& cancel);

}  // namespace apex::sync
