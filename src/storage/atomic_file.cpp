#include "storage/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <utility>

namespace apex {

namespace {

// Writes below this size are gathered (a sampler writes one ~130-byte row at a time);
// larger ones (a download's or a store's chunks) go straight to the file.
constexpr std::size_t kGatherBelowBytes = 64 * 1024;
constexpr std::size_t kBufferBytes = 1 << 20;
// Tries at a free temporary name; a collision of six random characters is already rare.
constexpr int kNameAttempts = 100;

std::string random_suffix() {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string suffix(6, '\0');
  for (char& c : suffix) c = kAlphabet[pick(random)];
  return suffix;
}

}  // namespace

AtomicFileResult<AtomicFile> AtomicFile::create(const std::filesystem::path& target, std::string_view stem,
                                                mode_t mode) {
  const std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::filesystem::path temporary = folder / (std::string(stem) + "\\" + random_suffix());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return AtomicFile(target, std::move(temporary), fd);
    if (errno != EEXIST) return std::unexpected(AtomicFileFailure{AtomicFileFailure::Step::Create, errno});
  }
  return std::unexpected(AtomicFileFailure{AtomicFileFailure::Step::Create, EEXIST});
}

AtomicFile::AtomicFile(std::filesystem::path target, std::filesystem::path temporary, int fd)
    : target_(std::move(target)), temporary_(std::move(temporary)), fd_(fd) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)),
      temporary_(std::move(other.temporary_)),
      fd_(std::exchange(other.fd_, -1)),
      finished_(std::exchange(other.finished_, true)),
      buffer_(std::move(other.buffer_)) {}

AtomicFile::~AtomicFile() {
  discard();
}

AtomicFileResult<void> AtomicFile::append(std::string_view bytes) {
  if (bytes.size() < kGatherBelowBytes) {
    if (buffer_.size() + bytes.size() > kBufferBytes) {
      if (auto ok = write_all(buffer_); !ok) return ok;
      buffer_.clear();
    }
    if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
    buffer_.append(bytes);
    return {};
  }
  if (!buffer_.empty()) {
    if (auto ok = write_all(buffer_); !ok) return ok;
    buffer_.clear();
  }
  return write_all(bytes);
}

AtomicFileResult<void> AtomicFile::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd_, bytes.data(), bytes.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(AtomicFileFailure{AtomicFileFailure::Step::Write, errno});
    }
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return {};
}

AtomicFileResult<void> AtomicFile::commit() {
  auto failed = [this](AtomicFileFailure::Step step) -> AtomicFileResult<void> {
    const int error = errno;
    discard();
    return std::unexpected(AtomicFileFailure{step, error});
  };
  if (auto ok = write_all(buffer_); !ok) {
    discard();
    return ok;
  }
  buffer_.clear();
  if (::fsync(fd_) != 0) return failed(AtomicFileFailure::Step::Flush);
  // close() reports the write errors some file systems (NFS) hold back until then.
  if (::close(std::exchange(fd_, -1)) != 0) return failed(AtomicFileFailure::Step::Write);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) return failed(AtomicFileFailure::Step::Replace);
  finished_ = true;
  return {};
}

void AtomicFile::discard() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!finished_) ::unlink(temporary_.c_str());
  finished_ = true;
}

}  // namespace apex
