#include "sync/downloader.h"

#include <cstring>

#include "storage/atomic_file.h"
#include "sync/local_hashes.h"
#include "sync/run_parallel.h"
#include "sync/upload_planner.h"

namespace apex::sync {

namespace {

// A download's bytes go to a temporary file in the destination folder (AtomicFile), whose
// name holds a backslash, so no object can be downloaded to it or land on it meanwhile.
constexpr std::string_view kTemporaryStem = ".apex-download";

// What failed, in the words of a download, with the system's reason: "cannot write" alone
// leaves the user guessing.
Error download_error(const AtomicFile* file, const std::filesystem::path& target,
                     const AtomicFileFailure& failure) {
  std::string what;
  switch (failure.step) {
    case AtomicFileFailure::Step::Create:
      what = "cannot create a temporary file in '" + target.parent_path().string() + "'";
      break;
    case AtomicFileFailure::Step::Write:
      what = "cannot write '" + file->temporary_path().string() + "'";
      break;
    case AtomicFileFailure::Step::Flush:
      what = "cannot flush '" + file->temporary_path().string() + "' to disk";
      break;
    case AtomicFileFailure::Step::Replace:
      what = "cannot move the downloaded file into place at '" + target.string() + "'";
      break;
  }
  return Error{ErrorKind::Unavailable, what + ": " + std::strerror(failure.error)};
}

// Writes the object to target, whole or not at all: a body of another length than the
// listing's is refused (the object changed meanwhile, or the transfer was cut).
Status download_object(S3Store& store, const ObjectInfo& object, const std::filesystem::path& target,
                       ProgressReporter& progress) {
  auto temporary = AtomicFile::create(target, kTemporaryStem);
  if (!temporary) return std::unexpected(download_error(nullptr, target, temporary.error()));
  std::uint64_t received = 0;
  auto read = store.read(object.key, ByteRange{}, [&](std::string_view chunk) -> Status {
    if (auto ok = temporary->append(chunk); !ok)
      return std::unexpected(download_error(&*temporary, target, ok.error()));
    received += chunk.size();
    progress.add_bytes_sent(chunk.size());
    return {};
  });
  if (!read) return read;
  if (received != object.size)
    return make_error(ErrorKind::Corrupt,
                      "received " + std::to_string(received) + " bytes where the listing said " +
                          std::to_string(object.size) +
                          ": the object changed while being read; run the download again");
  if (auto ok = temporary->commit(); !ok)
    return std::unexpected(download_error(&*temporary, target, ok.error()));
  return {};
}

}  // namespace

TransferSummary download_tree(S3Store& store, const Listing& remote, const std::filesystem::path& dir,
                              const DownloadOptions& options, ProgressReporter& progress,
                              const std::atomic<bool>& cancel) {
  namespace fs = std::filesystem;
  std::uint64_t total_bytes = 0;
  for (const auto& object : remote.objects) total_bytes += object.size;
  progress.set_totals(remote.objects.size(), total_bytes);
  std::atomic<std::size_t> finished{0};

  run_parallel(options.jobs, remote.objects.size(), cancel, [&](std::size_t i) {
    const ObjectInfo& object = remote.objects[i];
    const std::string location = options.location_prefix + object.key;
    finished.fetch_add(1);
    // Keys come from the server: never let one write outside dir.
    if (auto ok = validate_key(object.key); !ok) {
      progress.file_finished(FileResult::Failed, location, 0, "not a safe local path: " + ok.error().message);
      return;
    }
    const fs::path target = dir / fs::path(object.key);
    std::error_code ec;
    if (!options.force && fs::is_regular_file(target, ec) && fs::file_size(target, ec) == object.size) {
      InputFile input(target);
      LocalHashes hashes(input, object.size, object.key, nullptr);
      auto md5 = input.ok() ? hashes.hex(DigestAlgorithm::Md5)
                            : Result<std::string>(make_error(ErrorKind::Unavailable, "cannot open"));
      if (md5) {
        SyncDecision decision = decide(object.size, *md5, &object, false);
        if (decision == SyncDecision::NeedsHead)
          decision =
              same_content(store.head(object.key), hashes) ? SyncDecision::Skip : SyncDecision::Transfer;
        if (decision == SyncDecision::Skip) {
          progress.file_finished(FileResult::Skipped, location, object.size);
          return;
        }
      }
    }
    if (options.dry_run) {
      progress.file_finished(FileResult::Transferred, location, object.size);
      return;
    }
    // Every failure carries the system's reason (disk full, permission denied, not a
    // folder): "cannot write" alone leaves the user guessing.
    if (fs::create_directories(target.parent_path(), ec); ec) {
      progress.file_finished(
          FileResult::Failed, location, 0,
          "cannot create the folder '" + target.parent_path().string() + "': " + ec.message());
      return;
    }
    if (auto written = download_object(store, object, target, progress); !written) {
      progress.file_finished(FileResult::Failed, location, 0, written.error().describe());
      return;
    }
    progress.file_finished(FileResult::Transferred, location, object.size);
  });

  TransferSummary summary = progress.summary_so_far();
  summary.interrupted = cancel.load();
  summary.not_started = remote.objects.size() - std::min(remote.objects.size(), finished.load());
  summary.dry_run = options.dry_run;
  return summary;
}

}  // namespace apex::sync
