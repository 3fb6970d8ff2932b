// AtomicFile: a file on disk replaced whole or not at all. The bytes go to a temporary file
// created beside the target (same folder, so the rename stays on one file system) with
// O_EXCL, which never opens a file that is already there; commit() flushes it to disk
// (fsync: a crash never leaves a renamed but empty file) and renames it over the target.
// A file dropped without a commit, or whose commit failed, is removed.
//
// The temporary name is `stem`, a backslash and six random characters: validate_key()
// refuses backslashes, so no object key can name it while it is being written.
// Failures carry the step and errno, so each caller words its own message (LocalStore
// names keys, never paths on the server's disk). Not safe to share between threads.
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace apex {

struct AtomicFileFailure {
  enum class Step { Create, Write, Flush, Replace };
  Step step;
  int error;  // errno
};
template <typename T>
using AtomicFileResult = std::expected<T, AtomicFileFailure>;

class AtomicFile {
 public:
  // mode: as given to open(2), before the process's umask.
  static AtomicFileResult<AtomicFile> create(const std::filesystem::path& target, std::string_view stem,
                                             mode_t mode = 0666);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  // Small pieces are gathered into large writes; large ones are written as they come.
  AtomicFileResult<void> append(std::string_view bytes);
  // Flushes to disk and renames over the target; on failure the temporary file is removed.
  AtomicFileResult<void> commit();

  const std::filesystem::path& temporary_path() const { return temporary_; }
  const std::filesystem::path& target() const { return target_; }

 private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd);
  AtomicFileResult<void> write_all(std::string_view bytes);
  // Closes and removes the temporary file unless it was renamed.
  void discard();

  std::filesystem::path target_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool finished_ = false;  // renamed into place, or removed
  std::string buffer_;
};

}  // namespace apex
