#include "sync/uploader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/counted_noun.h"
#include "storage/content_digest.h"
#include "sync/local_hashes.h"
#include "sync/run_parallel.h"
#include "sync/upload_planner.h"

namespace apex::sync {

namespace {

// Files up to this size (or the multipart threshold, if lower) are read into memory once,
// hashed with MD5 and sent from there; larger ones are streamed from disk.
constexpr std::uint64_t kInMemoryLimit = 16 * kMebibyte;

bool is_acl_refusal(const Error& error) {
  const std::string& m = error.message;
  return m.find("AccessControlListNotSupported") != std::string::npos ||
         m.find("does not allow ACLs") != std::string::npos;
}

// The incomplete multipart uploads found under the prefix when the run started (an earlier
// run killed mid-upload): each is resumed by the file of its key, or aborted, so none stays
// billed. Files run on many threads, hence the lock.
class OpenUploads {
 public:
  void add(S3MultipartUpload upload) {
    std::lock_guard lock(mutex_);
    by_key_[upload.key()].push_back(std::move(upload));
  }
  std::vector<S3MultipartUpload> take(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto node = by_key_.extract(key);
    return node.empty() ? std::vector<S3MultipartUpload>{} : std::move(node.mapped());
  }
  std::map<std::string, std::vector<S3MultipartUpload>> take_all() {
    std::lock_guard lock(mutex_);
    return std::exchange(by_key_, {});
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<S3MultipartUpload>> by_key_;
};

// What a run does with one incomplete upload of a file it sends in parts: resume it (the
// check holds the ETags of the parts already there) or abort it, for abort_reason.
struct OpenUploadVerdict {
  S3MultipartUpload upload;
  bool resume = false;
  ResumeCheck check;
  std::string abort_reason;
};

constexpr const char* kUnclaimedReason = "no file of this run resumes it";

std::string parts_already_there(const ResumeCheck& check) {
  return std::to_string(check.parts_reused) + " of " + std::to_string(check.etags.size()) +
         " parts already there, checked against the local file";
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

  void run_file(const LocalFile& file, const ObjectInfo* remote) {
    const std::string location = options_.location_prefix + file.key;
    InputFile input(file.path);
    if (!input.ok()) {
      progress_.file_finished(FileResult::Failed, location, 0,
                              std::string("cannot open: ") + std::strerror(errno));
      return;
    }
    // Small files are read once and hashed from memory (MD5: Content-MD5, and the ETag a
    // later listing compares with). Large ones stay on disk: their XXH3-128 (the identity
    // kept as metadata) and, for one PUT, their CRC32C (the checksum S3 verifies), both in
    // one pass at the page cache's speed, are computed only when a same-size object must
    // be compared or the file is sent; the body then streams from the page cache. (One
    // SHA-256 for both jobs would be a pass several times slower: bench/README.md#apex-upload.)
    const bool in_memory = file.size <= std::min(options_.multipart_threshold, kInMemoryLimit);
    std::optional<std::string> body;
    if (in_memory) {
      std::string bytes;
      if (auto ok = input.read_at(0, static_cast<std::size_t>(file.size), file.key, &bytes); !ok)
        return fail(location, ok.error());
      if (bytes.size() != file.size)
        return fail(location, Error{ErrorKind::Unavailable, "the file changed size while being read"});
      body = std::move(bytes);
    }
    LocalHashes hashes(input, file.size, file.key, body ? &*body : nullptr);

    SyncDecision decision = SyncDecision::Transfer;
    if (in_memory) {
      auto md5 = hashes.hex(DigestAlgorithm::Md5);
      decision = decide(file.size, *md5, remote, options_.force);
    } else if (!options_.force && remote != nullptr && remote->size == file.size) {
      decision = SyncDecision::NeedsHead;
    }
    if (decision == SyncDecision::NeedsHead)
      decision = same_content(store_.head(file.key), hashes) ? SyncDecision::Skip : SyncDecision::Transfer;
    if (decision == SyncDecision::Skip) {
      progress_.file_finished(FileResult::Skipped, location, file.size);
      return;
    }
    const bool one_put = body || file.size <= options_.multipart_threshold;
    if (options_.dry_run) {
      if (!one_put) tell_open_uploads(input, file);
      progress_.file_finished(FileResult::Transferred, location, file.size);
      return;
    }

    const DigestAlgorithm fingerprint = in_memory ? DigestAlgorithm::Md5 : DigestAlgorithm::Xxh128;
    if (auto ok = one_put && !body ? hashes.prepare({fingerprint, DigestAlgorithm::Crc32c})
                                   : hashes.prepare({fingerprint});
        !ok)
      return fail(location, ok.error());
    auto digest = hashes.get(fingerprint);
    if (!digest) return fail(location, digest.error());
    for (int round = 0; round < 2; ++round) {
      PutOptions put;
      put.content_type = std::string(content_type_for(file.key));
      put.metadata.emplace_back(std::string(in_memory ? kMd5MetadataName : kXxh128MetadataName),
                                to_hex(*digest));
      const bool with_acl = use_acl_.load();
      if (with_acl) put.acl = options_.acl;
      Status sent =
          body ? put_small(file.key, *body, *digest, put)
          : one_put
              ? put_streamed(input, file,
                             BodyChecksum{DigestAlgorithm::Crc32c, *hashes.get(DigestAlgorithm::Crc32c)}, put)
              : put_multipart(input, file, put);
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

  // Lists the incomplete uploads under the prefix, once, before the files start (a dry run
  // too: listing changes nothing, and it says how many there are). A server that cannot
  // list them (s3rver) gets a note; the run goes on without resuming.
  void find_open_uploads() {
    auto open = store_.list_open_uploads();
    if (!open) {
      progress_.note("note: cannot list incomplete multipart uploads under " + options_.location_prefix +
                     " (" + open.error().describe() + "): " +
                     (options_.dry_run ? "a run would resume or abort none" : "none resumed or aborted"));
      return;
    }
    if (options_.dry_run)
      progress_.note(open->empty() ? "no incomplete multipart uploads under " + options_.location_prefix
                                   : counted(open->size(), "incomplete multipart upload") + " under " +
                                         options_.location_prefix + "; what a run would do with each:");
    for (auto& upload : *open) open_uploads_.add(std::move(upload));
  }

  // After the files: the incomplete uploads no file of this run resumed are aborted (in a
  // dry run, said to be).
  void abort_unclaimed_uploads() {
    for (const auto& [key, uploads] : open_uploads_.take_all())
      for (const auto& upload : uploads) {
        if (options_.dry_run)
          progress_.note("would abort " + described(upload) + ": " + kUnclaimedReason);
        else
          abort_open_upload(upload, kUnclaimedReason);
      }
  }

 private:
  void fail(const std::string& location, const Error& error) {
    progress_.file_finished(FileResult::Failed, location, 0, error.describe());
  }

  Status put_small(const std::string& key, const std::string& body, const std::string& md5_digest,
                   const PutOptions& put) {
    slots_.acquire();
    auto sent = store_.put(key, body, put, md5_digest);
    slots_.release();
    if (sent) progress_.add_bytes_sent(body.size());
    return sent;
  }

  // One PUT read from disk as it goes out, checked by the server against `checksum`.
  Status put_streamed(const InputFile& input, const LocalFile& file, const BodyChecksum& checksum,
                      const PutOptions& put) {
    slots_.acquire();
    auto sent = store_.put_file(file.key, FileSlice{input.fd(), 0, file.size}, checksum, put);
    slots_.release();
    if (sent) progress_.add_bytes_sent(file.size);
    return sent;
  }

  void abort_open_upload(const S3MultipartUpload& upload, const std::string& why) {
    const std::string location = options_.location_prefix + upload.key();
    if (auto aborted = upload.abort(); aborted)
      progress_.note("aborted an incomplete multipart upload of " + location + " (" + why + ")");
    else
      progress_.note("note: cannot abort the incomplete multipart upload of " + location + " (" + why +
                     "): " + aborted.error().describe());
  }

  // "the incomplete multipart upload of s3://bucket/data/x (upload id ID, started WHEN)"
  std::string described(const S3MultipartUpload& upload) const {
    std::string text = "the incomplete multipart upload of " + options_.location_prefix + upload.key() +
                       " (upload id " + upload.upload_id();
    if (!upload.initiated().empty()) text += ", started " + upload.initiated();
    return text + ")";
  }

  // The incomplete uploads of this file, taken from the open ones, each judged: the first
  // whose parts all hold the local bytes cut this run's way is resumed, every other aborted.
  // Only reads (ListParts, the local file), so a dry run tells what a run would do.
  std::vector<OpenUploadVerdict> judge_open_uploads(const InputFile& input, const LocalFile& file,
                                                    std::uint64_t part_size) {
    std::vector<OpenUploadVerdict> verdicts;
    bool resuming = false;
    for (auto& upload : open_uploads_.take(file.key)) {
      auto& verdict = verdicts.emplace_back(OpenUploadVerdict{std::move(upload), false, {}, {}});
      if (resuming) {
        verdict.abort_reason = "another incomplete upload of the same file is resumed";
        continue;
      }
      auto stored = verdict.upload.list_parts();
      if (!stored) {
        verdict.abort_reason = "cannot list its parts: " + stored.error().describe();
        continue;
      }
      std::vector<StoredPartInfo> parts;
      for (const auto& part : *stored) parts.push_back({part.number, part.size, part.etag});
      verdict.check =
          check_stored_parts(parts, part_size, file.size, [&](std::uint64_t offset, std::size_t length) {
            return md5_hex_of_range(input, offset, length, file.key);
          });
      verdict.abort_reason = verdict.check.problem;
      verdict.resume = resuming = verdict.check.problem.empty();
    }
    return verdicts;
  }

  // Dry run: what a run would do with the incomplete uploads of a file it would send in parts.
  void tell_open_uploads(const InputFile& input, const LocalFile& file) {
    for (const auto& verdict : judge_open_uploads(input, file, part_size_for(file.size, options_.part_size)))
      progress_.note(verdict.resume
                         ? "would resume " + described(verdict.upload) + ": " +
                               parts_already_there(verdict.check)
                         : "would abort " + described(verdict.upload) + ": " + verdict.abort_reason);
  }

  // An incomplete upload of this file whose parts all hold the local bytes, with their ETags
  // filled in; the others are aborted. nullopt: start a new upload.
  std::optional<S3MultipartUpload> resume_open_upload(const InputFile& input, const LocalFile& file,
                                                      std::uint64_t part_size,
                                                      std::vector<std::string>* etags) {
    std::optional<S3MultipartUpload> chosen;
    for (auto& verdict : judge_open_uploads(input, file, part_size)) {
      if (!verdict.resume) {
        abort_open_upload(verdict.upload, verdict.abort_reason);
        continue;
      }
      progress_.note("resuming the incomplete multipart upload of " + options_.location_prefix + file.key +
                     ": " + parts_already_there(verdict.check));
      *etags = std::move(verdict.check.etags);
      chosen = std::move(verdict.upload);
    }
    return chosen;
  }

  static Result<std::string> md5_hex_of_range(const InputFile& input, std::uint64_t offset,
                                              std::size_t length, const std::string& name) {
    std::string bytes;
    if (auto ok = input.read_at(offset, length, name, &bytes); !ok) return std::unexpected(ok.error());
    if (bytes.size() != length) return make_error(ErrorKind::Unavailable, "'" + name + "' became shorter");
    ContentDigest digest(DigestAlgorithm::Md5);
    digest.update(bytes);
    return to_hex(digest.finish());
  }

  // A resumed upload carries the metadata of the run that started it: if the file changed
  // where no part had been sent yet, the object's hash would not be the local file's.
  bool identity_matches(const LocalFile& file, const PutOptions& put) {
    auto head = store_.head(file.key);
    if (!head || put.metadata.empty()) return false;
    auto it = head->metadata.find(put.metadata.front().first);
    return it != head->metadata.end() && it->second == put.metadata.front().second;
  }

  Status put_multipart(const InputFile& input, const LocalFile& file, const PutOptions& put,
                       bool may_resume = true) {
    const std::uint64_t part_size = part_size_for(file.size, options_.part_size);
    const auto parts = static_cast<int>((file.size + part_size - 1) / part_size);
    std::vector<std::string> etags(static_cast<std::size_t>(parts));
    std::optional<S3MultipartUpload> resumed;
    if (may_resume) resumed = resume_open_upload(input, file, part_size, &etags);
    const bool is_resumed = resumed.has_value();
    auto upload =
        resumed ? Result<S3MultipartUpload>(std::move(*resumed)) : store_.start_multipart(file.key, put);
    if (!upload) return std::unexpected(upload.error());
    std::atomic<int> next_part{0};
    std::mutex error_mutex;
    std::optional<Error> first_error;
    auto worker = [&] {
      std::string bytes;  // one part buffer per thread, reused for every part it sends
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
        if (!etags[static_cast<std::size_t>(index)].empty()) continue;  // resumed: already there
        const std::uint64_t offset = static_cast<std::uint64_t>(index) * part_size;
        const auto length = static_cast<std::size_t>(std::min(part_size, file.size - offset));
        slots_.acquire();
        // Each part is read once and hashed once (its Content-MD5, inside upload_part).
        auto read = input.read_at(offset, length, file.key, &bytes);
        Result<std::string> etag =
            read ? (bytes.size() == length
                        ? upload->upload_part(index + 1, bytes)
                        : make_error(ErrorKind::Unavailable, "the file became shorter while being sent"))
                 : std::unexpected(read.error());
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
      if (auto done = upload->complete(etags); !done) {
        first_error = done.error();
      } else if (is_resumed && !identity_matches(file, put)) {
        progress_.note("note: the resumed upload of " + options_.location_prefix + file.key +
                       " was started for other contents; sending the file again");
        return put_multipart(input, file, put, false);
      } else {
        return {};
      }
    }
    (void)upload->abort();
    return std::unexpected(*first_error);
  }

  S3Store& store_;
  const UploadOptions& options_;
  ProgressReporter& progress_;
  const std::atomic<bool>& cancel_;
  std::counting_semaphore<> slots_;
  std::atomic<bool> use_acl_;
  std::atomic<std::size_t> cut_short_{0};
  OpenUploads open_uploads_;
};

}  // namespace

std::vector<std::string> planned_deletions(const TreeScan& scan, const Listing& remote) {
  std::vector<std::string> local_keys;
  for (const auto& file : scan.files) local_keys.push_back(file.key);
  std::vector<std::string> kept;
  for (const auto& path : scan.unreadable) kept.push_back(path.key);
  return keys_to_delete(local_keys, remote, kept);
}

TransferSummary upload_tree(S3Store& store, const TreeScan& scan, const Listing& remote,
                            const UploadOptions& options, ProgressReporter& progress,
                            const std::atomic<bool>& cancel) {
  const std::vector<LocalFile>& files = scan.files;
  for (const auto& path : scan.unreadable)
    progress.file_finished(
        FileResult::Unreadable, path.path.string(), 0,
        path.reason + " (nothing under " + options.location_prefix + path.key + " is deleted)");
  std::unordered_map<std::string, const ObjectInfo*> by_key;
  for (const auto& object : remote.objects) by_key.emplace(object.key, &object);
  std::uint64_t total_bytes = 0;
  for (const auto& file : files) total_bytes += file.size;
  progress.set_totals(files.size(), total_bytes);

  Uploader uploader(store, options, progress, cancel);
  uploader.find_open_uploads();
  std::atomic<std::size_t> finished{0};
  run_parallel(options.jobs, files.size(), cancel, [&](std::size_t i) {
    auto it = by_key.find(files[i].key);
    uploader.run_file(files[i], it == by_key.end() ? nullptr : it->second);
    finished.fetch_add(1);
  });

  if (!cancel.load()) uploader.abort_unclaimed_uploads();
  if (!cancel.load()) {
    for (const auto& key : options.deletions) {
      const std::string location = options.location_prefix + key;
      if (options.dry_run) {
        progress.file_finished(FileResult::WouldDelete, location, 0);
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

}  // namespace apex::sync
