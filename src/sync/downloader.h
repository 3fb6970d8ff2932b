// The engine of `apex download`: mirrors the objects of an S3 listing into a local folder,
// `jobs` files at a time, skipping files that already hold an object's bytes (same size and
// MD5, or the hash `apex upload` stored in its metadata).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "storage/s3_store.h"
#include "sync/progress_reporter.h"

namespace apex::sync {

struct DownloadOptions {
  int jobs = 8;
  bool force = false;
  bool dry_run = false;
  std::string location_prefix;  // for messages
};

// Mirrors the objects of `remote` into dir (keys become relative paths). Each file is
// written to a temporary file in its folder whose name no key can map to (it holds a
// backslash), checked against the listed size, flushed to disk and renamed into place: a
// file is byte-identical to its object or, with the failure reported, left as it was.
TransferSummary download_tree(S3Store& store, const Listing& remote, const std::filesystem::path& dir,
                              const DownloadOptions& options, ProgressReporter& progress,
                              const std::atomic<bool>& cancel);

}  // namespace apex::sync
