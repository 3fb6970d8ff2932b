// The local side of a sync comparison, shared by `apex upload` and `apex download`: a file
// opened for positional reads, and its content hashes, each computed at most once.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "storage/content_digest.h"
#include "storage/s3_store.h"

namespace apex::sync {

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
  int fd() const { return fd_; }

  // Reads exactly n bytes at offset into *bytes (fewer only at the end of the file). The
  // buffer is reused by callers that read many chunks, so it is sized, not zero-filled anew.
  Status read_at(std::uint64_t offset, std::size_t n, const std::string& name, std::string* bytes) const {
    if (bytes->size() < n) bytes->resize(n);
    std::size_t have = 0;
    while (have < n) {
      auto got = ::pread(fd_, bytes->data() + have, n - have, static_cast<off_t>(offset + have));
      if (got < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorKind::Unavailable, "cannot read '" + name + "': " + std::strerror(errno));
      }
      if (got == 0) break;
      have += static_cast<std::size_t>(got);
    }
    bytes->resize(have);
    return {};
  }

 private:
  int fd_;
};

// Raw digests of a whole file, all in one pass of 1 MiB chunks through one reused buffer.
Result<std::vector<std::string>> digests_of_file(const InputFile& file, std::uint64_t size,
                                                 const std::string& name,
                                                 const std::vector<DigestAlgorithm>& algorithms);

// The local side of a comparison: each hash computed at most once, and only when asked
// for, from memory when the bytes are already there; several asked for together share
// one pass over the file.
class LocalHashes {
 public:
  LocalHashes(const InputFile& file, std::uint64_t size, std::string name, const std::string* body)
      : file_(file), size_(size), name_(std::move(name)), body_(body) {}

  // Computes the missing ones of algorithms in one pass.
  Status prepare(std::initializer_list<DigestAlgorithm> algorithms) {
    std::vector<DigestAlgorithm> missing;
    for (DigestAlgorithm algorithm : algorithms)
      if (!slot(algorithm)) missing.push_back(algorithm);
    if (missing.empty()) return {};
    if (body_) {
      for (DigestAlgorithm algorithm : missing) {
        ContentDigest digest(algorithm);
        digest.update(*body_);
        slot(algorithm) = digest.finish();
      }
      return {};
    }
    auto raw = digests_of_file(file_, size_, name_, missing);
    if (!raw) return std::unexpected(raw.error());
    for (std::size_t i = 0; i < missing.size(); ++i) slot(missing[i]) = std::move((*raw)[i]);
    return {};
  }
  // Raw digest.
  Result<std::string> get(DigestAlgorithm algorithm) {
    if (auto ok = prepare({algorithm}); !ok) return std::unexpected(ok.error());
    return *slot(algorithm);
  }
  Result<std::string> hex(DigestAlgorithm algorithm) {
    auto raw = get(algorithm);
    if (!raw) return std::unexpected(raw.error());
    return to_hex(*raw);
  }

 private:
  std::optional<std::string>& slot(DigestAlgorithm algorithm) {
    return digests_[static_cast<std::size_t>(algorithm)];
  }

  const InputFile& file_;
  std::uint64_t size_;
  std::string name_;
  const std::string* body_;
  std::optional<std::string> digests_[4];  // by DigestAlgorithm
};

// After a HEAD: whether the object holds the local bytes. A failed HEAD or local read
// answers no, so the file is sent (and its own errors reported there).
bool same_content(const Result<ObjectHead>& head, LocalHashes& local);

}  // namespace apex::sync
