// A whole local file as one read-only memory mapping, for readers that go through a large
// file once from start to end (the telemetry parser): the bytes are read where the page
// cache holds them, with no copy into a read buffer and no thread feeding one. On the
// 1 GiB telemetry file that copy cost about a quarter of a load's CPU.
//
// Why a guard: when a mapped file is truncated by someone else (`cp` over it truncates
// first), touching a page past the new end raises SIGBUS, which would kill the server.
// Every MappedFile registers its range with one process-wide SIGBUS handler, which maps
// zero-filled pages over the vanished part and marks the mapping damaged. The reader then
// sees zeros instead of crashing, and its owner must check damaged() after reading and
// report the file as changed. A SIGBUS outside every registered range is passed on to the
// handler that was there before (or the default action: the process ends as it would have).
//
// Why changed(): the mapping is the file itself, so a write into it while it is read (an
// editor saving in place, `cp` over it once it has grown back) shows through: the reader
// gets the old bytes before some point and the new ones after it. Its owner asks after
// reading whether the file was written to since it was opened, and drops what it read.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.h"

namespace apex {

class MappedFile {
 public:
  // Maps the regular file at path; name is what messages call it (the path when empty;
  // LocalStore passes the key, so that messages do not show where the data lives).
  static Result<std::unique_ptr<MappedFile>> open(const std::filesystem::path& path,
                                                  std::string_view name = {});
  // Maps the file open on `fd`, which it takes over (closes).
  static Result<std::unique_ptr<MappedFile>> map_descriptor(int fd, std::string_view name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {data_, size_}; }
  // Some page was gone when read (the file was truncated while mapped): the bytes read
  // from there on were zeros, not the file's.
  bool damaged() const { return damaged_->load(std::memory_order_acquire); }
  // The file was written to or truncated since it was opened (its size, mtime or ctime
  // differ): bytes read meanwhile may mix two versions. The ctime catches a writer that
  // puts the mtime back (`cp -p`), and also moves on a chmod or when another file is renamed
  // over this one's name (the mapping then still holds this file whole): a read too many,
  // never a mix kept. A write within the same tick of the kernel's file clock as the file's
  // last change before the open leaves the times as they were, and goes unseen.
  bool changed() const;
  // The reader is done with part (a view into bytes()): the page-table entries of the whole
  // pages inside it go now, from the reader's thread, instead of all at once, on one core,
  // when the file is unmapped at the end of a load. The pages stay in the page cache;
  // reading them again maps them back in.
  void drop_pages(std::string_view part) const;

 private:
  MappedFile(const char* data, std::size_t size, std::size_t mapped_bytes, int fd, const struct stat& opened);
  const char* data_;
  std::size_t size_;
  std::size_t mapped_bytes_;  // size rounded up to whole pages
  int slot_ = -1;             // in the SIGBUS guard's table, -1 when not guarded
  int fd_ = -1;               // kept open for changed(); -1 for an empty file
  struct stat opened_ {};     // the file when opened
  // Heap-allocated so the signal handler can hold a plain pointer to it.
  std::unique_ptr<std::atomic<bool>> damaged_ = std::make_unique<std::atomic<bool>>(false);
};

}  // namespace apex
