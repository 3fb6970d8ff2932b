#include "sync/uploader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <unordered_map>

#include "storage/content_digest.h"
#include "sync/upload_planner.h"

namespace apex::sync {

namespace {

constexpr std::size_t kHashChunk = 1 << 20;

// A file opened for positional reads, closed on scope exit.
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  bool ok() const { return fd_ >= 0; }

  // Reads exactly n bytes at offset (fewer only at the end of the file).
  Result<std::string> read_at(std::uint64_t offset, std::size_t n, const std::string& name) const {
    std::string bytes(n, '\0');
    std::size_t have = 0;
    while (have < n) {
      auto got = ::pread(fd_, bytes.data() + have, n - have, static_cast<off_t>(offset + have));
      if (got < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorKind::Unavailable, "cannot read '" + name + "': " + std::strerror(errno));
      }
      if (got == 0) break;
      have += static_cast<std::size_t>(got);
    }
    bytes.resize(have);
    return bytes;
  }

 private:
  int fd_;
};

Result<std::string> md5_of_file(const InputFile& file, std::uint64_t size, const std::string& name) {
  ContentDigest digest(DigestAlgorithm::Md5);
  for (std::uint64_t offset = 0; offset < size; offset += kHashChunk) {
    auto chunk = file.read_at(
        offset, static_cast<std::size_t>(std::min<std::uint64_t>(kHashChunk, size - offset)), name);
    if (!chunk) return std::unexpected(chunk.error());
    digest.update(*chunk);
  }
  return digest.finish_hex();
}

bool is_acl_refusal(const Error& error) {
  const std::string& m = error.message;
  return m.find("AccessControlListNotSupported") != std::string::npos ||
         m.find("does not allow ACLs") != std::string::npos;
}

class Uploader {
 public:
  Uploader(S3Store& store, const UploadOptions& options, ProgressReporter& progress,
           const std::atomic<bool>& cancel)
      : store_(store),
        options_(options),
        progress_(progress),
        cancel_(cancel),
        slots_(std::max(options.jobs, 1)),
        use_acl_(!options.acl.empty()) {}

  // Returns whether the file reached a final state (sent, skipped, failed) rather than being cut short.
  void run_file(const LocalFile& file, const ObjectInfo* remote) {
    const std::string location = options_.location_prefix + file.key;
    InputFile input(file.path);
    if (!input.ok()) {
      progress_.file_finished(FileResult::Failed, location, 0,
                              std::string("cannot open: ") + std::strerror(errno));
      return;
    }
    // Small files are read once and hashed from memory; large ones are hashed in a pass.
    std::optional<std::string> body;
    Result<std::string> md5 = std::string();
    if (file.size <= options_.multipart_threshold) {
      auto bytes = input.read_at(0, static_cast<std::size_t>(file.size), file.key);
      if (!bytes) return fail(location, bytes.error());
      if (bytes->size() != file.size)
        return fail(location, Error{ErrorKind::Unavailable, "the file changed size while being read"});
      md5 = md5_hex(*bytes);
      body = std::move(*bytes);
    } else {
      md5 = md5_of_file(input, file.size, file.key);
      if (!md5) return fail(location, md5.error());
    }

    SyncDecision decision = decide(file.size, *md5, remote, options_.force);
    if (decision == SyncDecision::NeedsHead) {
      auto head = store_.head(file.key);
      decision = head && metadata_matches(head->metadata, *md5) ? SyncDecision::Skip : SyncDecision::Transfer;
    }
    if (decision == SyncDecision::Skip) {
      progress_.file_finished(FileResult::Skipped, location, file.size);
      return;
    }
    if (options_.dry_run) {
      progress_.file_finished(FileResult::Transferred, location, file.size);
      return;
    }

    for (int round = 0; round < 2; ++round) {
      PutOptions put;
      put.content_type = std::string(content_type_for(file.key));
      put.metadata.emplace_back(std::string(kMd5MetadataName), *md5);
      const bool with_acl = use_acl_.load();
      if (with_acl) put.acl = options_.acl;
      Status sent = body ? put_small(file.key, *body, put) : put_multipart(input, file, put);
      if (sent) {
        progress_.file_finished(FileResult::Transferred, location, file.size);
        return;
      }
      if (cancel_.load()) {
        cut_short_.fetch_add(1);
        return;
      }
      if (with_acl && is_acl_refusal(sent.error())) {
        if (options_.acl_optional) {
          if (use_acl_.exchange(false))
            progress_.note("note: the bucket refuses ACLs; sending without --acl " + options_.acl +
                           " (--acl-optional)");
          continue;
        }
        return fail(location, Error{sent.error().kind, sent.error().message +
                                                           "; the bucket refuses ACLs: drop --acl, or add "
                                                           "--acl-optional to send without it"});
      }
      return fail(location, sent.error());
    }
  }

  std::size_t cut_short() const { return cut_short_.load(); }

 private:
  void fail(const std::string& location, const Error& error) {
    progress_.file_finished(FileResult::Failed, location, 0, error.describe());
  }

  Status put_small(const std::string& key, const std::string& body, const PutOptions& put) {
    slots_.acquire();
    auto sent = store_.put(key, body, put);
    slots_.release();
    if (sent) progress_.add_bytes_sent(body.size());
    return sent;
  }

  Status put_multipart(const InputFile& input, const LocalFile& file, const PutOptions& put) {
    auto upload_id = store_.start_multipart(file.key, put);
    if (!upload_id) return std::unexpected(upload_id.error());
    const std::uint64_t part_size = part_size_for(file.size, options_.part_size);
    const auto parts = static_cast<int>((file.size + part_size - 1) / part_size);
    std::vector<std::string> etags(static_cast<std::size_t>(parts));
    std::atomic<int> next_part{0};
    std::mutex error_mutex;
    std::optional<Error> first_error;
    auto worker = [&] {
      while (true) {
        {
          std::lock_guard lock(error_mutex);
          if (first_error) return;
        }
        if (cancel_.load()) {
          std::lock_guard lock(error_mutex);
          if (!first_error) first_error = Error{ErrorKind::Unavailable, "interrupted"};
          return;
        }
        int index = next_part.fetch_add(1);
        if (index >= parts) return;
        const std::uint64_t offset = static_cast<std::uint64_t>(index) * part_size;
        const auto length = static_cast<std::size_t>(std::min(part_size, file.size - offset));
        slots_.acquire();
        auto bytes = input.read_at(offset, length, file.key);
        Result<std::string> etag =
            bytes ? (bytes->size() == length
                         ? store_.upload_part(file.key, *upload_id, index + 1, *bytes)
                         : make_error(ErrorKind::Unavailable, "the file became shorter while being sent"))
                  : std::unexpected(bytes.error());
        slots_.release();
        if (!etag) {
          std::lock_guard lock(error_mutex);
          if (!first_error) first_error = etag.error();
          return;
        }
        etags[static_cast<std::size_t>(index)] = std::move(*etag);
        progress_.add_bytes_sent(length);
      }
    };
    const int threads = std::min(parts, std::max(options_.jobs, 1));
    {
      std::vector<std::jthread> pool;
      for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
      worker();
    }
    if (!first_error) {
      if (auto done = store_.complete_multipart(file.key, *upload_id, etags); done)
        return {};
      else
        first_error = done.error();
    }
    (void)store_.abort_multipart(file.key, *upload_id);
    return std::unexpected(*first_error);
  }

  S3Store& store_;
  const UploadOptions& options_;
  ProgressReporter& progress_;
  const std::atomic<bool>& cancel_;
  std::counting_semaphore<> slots_;
  std::atomic<bool> use_acl_;
  std::atomic<std::size_t> cut_short_{0};
};

template <typename Work>
void run_parallel(int jobs, std::size_t count, const std::atomic<bool>& cancel, Work&& work) {
  std::atomic<std::size_t> next{0};
  auto loop = [&] {
    while (!cancel.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      work(i);
    }
  };
  std::vector<std::jthread> pool;
  const auto threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(jobs, 1)), count);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(loop);
  loop();
}

}  // namespace

TransferSummary upload_tree(S3Store& store, const std::vector<LocalFile>& files, const Listing& remote,
                            const UploadOptions& options, ProgressReporter& progress,
                            const std::atomic<bool>& cancel) {
  std::unordered_map<std::string, const ObjectInfo*> by_key;
  for (const auto& object : remote.objects) by_key.emplace(object.key, &object);
  std::uint64_t total_bytes = 0;
  for (const auto& file : files) total_bytes += file.size;
  progress.set_totals(files.size(), total_bytes);

  Uploader uploader(store, options, progress, cancel);
  std::atomic<std::size_t> finished{0};
  run_parallel(options.jobs, files.size(), cancel, [&](std::size_t i) {
    auto it = by_key.find(files[i].key);
    uploader.run_file(files[i], it == by_key.end() ? nullptr : it->second);
    finished.fetch_add(1);
  });

  if (options.delete_extra && !cancel.load()) {
    std::vector<std::string> local_keys;
    for (const auto& file : files) local_keys.push_back(file.key);
    for (const auto& key : keys_to_delete(local_keys, remote)) {
      const std::string location = options.location_prefix + key;
      if (options.dry_run) {
        progress.file_finished(FileResult::Deleted, location, 0);
        continue;
      }
      if (auto removed = store.remove(key); removed || removed.error().kind == ErrorKind::NotFound)
        progress.file_finished(FileResult::Deleted, location, 0);
      else
        progress.file_finished(FileResult::Failed, location, 0,
                               "cannot delete: " + removed.error().describe());
    }
  }

  TransferSummary summary = progress.summary_so_far();
  summary.interrupted = cancel.load();
  summary.not_started = files.size() - std::min(files.size(), finished.load()) + uploader.cut_short();
  summary.dry_run = options.dry_run;
  return summary;
}

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
      auto md5 = input.ok() ? md5_of_file(input, object.size, object.key)
                            : Result<std::string>(make_error(ErrorKind::Unavailable, "cannot open"));
      if (md5) {
        SyncDecision decision = decide(object.size, *md5, &object, false);
        if (decision == SyncDecision::NeedsHead) {
          auto head = store.head(object.key);
          decision =
              head && metadata_matches(head->metadata, *md5) ? SyncDecision::Skip : SyncDecision::Transfer;
        }
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
    fs::create_directories(target.parent_path(), ec);
    fs::path partial = target;
    partial += ".apex-partial";
    Status written;
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      if (!out) {
        progress.file_finished(FileResult::Failed, location, 0, "cannot write '" + partial.string() + "'");
        return;
      }
      written = store.read(object.key, ByteRange{}, [&](std::string_view chunk) -> Status {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        if (!out) return make_error(ErrorKind::Unavailable, "cannot write '" + partial.string() + "'");
        progress.add_bytes_sent(chunk.size());
        return {};
      });
      out.close();
      if (written && !out)
        written = make_error(ErrorKind::Unavailable, "cannot write '" + partial.string() + "'");
    }
    if (written) {
      fs::rename(partial, target, ec);
      if (ec)
        written = make_error(ErrorKind::Unavailable,
                             "cannot rename into '" + target.string() + "': " + ec.message());
    }
    if (!written) {
      fs::remove(partial, ec);
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
