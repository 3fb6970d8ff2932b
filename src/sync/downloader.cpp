#include "sync/downloader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "sync/local_hashes.h"
#include "sync/run_parallel.h"
#include "sync/upload_planner.h"

namespace apex::sync {

namespace {

// The process's umask, which the system applies to files it creates but not to mkstemp's
// 0600: read once, before any thread starts (reading it means setting it).
mode_t current_umask() {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}

// A download's bytes go to a temporary file in the destination folder, are flushed to disk,
// then renamed over the target, so a file is either the whole object or absent. Its name
// holds a backslash, which validate_key refuses in keys, so no object can be downloaded to
// it or land on it while it is written; mkstemp (O_EXCL) never opens an existing file.
constexpr const char* kTemporaryName = ".apex-download\\XXXXXX";

class TemporaryDownload {
 public:
  explicit TemporaryDownload(const std::filesystem::path& folder)
      : path_((folder / kTemporaryName).string()), fd_(::mkstemp(path_.data())) {}
  ~TemporaryDownload() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TemporaryDownload(const TemporaryDownload&) = delete;
  TemporaryDownload& operator=(const TemporaryDownload&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  Status append(std::string_view chunk) {
    while (!chunk.empty()) {
      const auto wrote = ::write(fd_, chunk.data(), chunk.size());
      if (wrote < 0) {
        if (errno == EINTR) continue;
        return failure("cannot write '" + path_ + "'");
      }
      chunk.remove_prefix(static_cast<std::size_t>(wrote));
    }
    return {};
  }

  // Durable first (fsync: a crash never leaves a renamed but empty file), then in place.
  Status commit(const std::filesystem::path& target, mode_t mode) {
    if (::fchmod(fd_, mode) != 0) return failure("cannot set the mode of '" + path_ + "'");
    if (::fsync(fd_) != 0) return failure("cannot flush '" + path_ + "' to disk");
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return failure("cannot write '" + path_ + "'");
    if (::rename(path_.c_str(), target.c_str()) != 0)
      return failure("cannot move the downloaded file into place at '" + target.string() + "'");
    committed_ = true;
    return {};
  }

 private:
  static Status failure(const std::string& what) {
    return make_error(ErrorKind::Unavailable, what + ": " + std::strerror(errno));
  }

  std::string path_;
  int fd_;
  bool committed_ = false;
};

// Writes the object to target, whole or not at all: a body of another length than the
// listing's is refused (the object changed meanwhile, or the transfer was cut).
Status download_object(S3Store& store, const ObjectInfo& object, const std::filesystem::path& target,
                       mode_t mode, ProgressReporter& progress) {
  TemporaryDownload temporary(target.parent_path());
  if (!temporary.ok())
    return make_error(
        ErrorKind::Unavailable,
        "cannot create a temporary file in '" + target.parent_path().string() + "': " + std::strerror(errno));
  std::uint64_t received = 0;
  auto read = store.read(object.key, ByteRange{}, [&](std::string_view chunk) -> Status {
    if (auto ok = temporary.append(chunk); !ok) return ok;
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
  return temporary.commit(target, mode);
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
  const mode_t file_mode = 0666 & ~current_umask();

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
    if (auto written = download_object(store, object, target, file_mode, progress); !written) {
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
