#include "storage/open_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "storage/local_store.h"

namespace apex {

namespace fs = std::filesystem;

namespace {

// glibc 2.36 has no wrapper for openat2.
int openat2_beneath(int folder, const fs::path& inside) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, folder, inside.c_str(), &how, sizeof how));
}

// The path `inside` resolves to, relative to the folder's own resolved path; empty when it
// leads out of the folder or cannot be resolved.
fs::path resolved_inside(const fs::path& folder, const fs::path& inside) {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(folder / inside, ec);
  if (ec) return {};
  const fs::path root = fs::weakly_canonical(folder, ec);
  if (ec || leads_out_of(root, real, true)) return {};
  return real.lexically_relative(root);
}

int open_in(int folder_fd, const fs::path& folder, const fs::path& inside) {
  const int fd = openat2_beneath(folder_fd, inside);
  if (fd >= 0) return fd;
  if (errno == EXDEV) {
    // An absolute link, or one through the folder's own path, may still end inside it.
    const fs::path relative = resolved_inside(folder, inside);
    if (relative.empty()) return errno = EXDEV, -1;
    return openat2_beneath(folder_fd, relative);
  }
  if (errno != ENOSYS && errno != EPERM) return -1;
  if (resolved_inside(folder, inside).empty()) return errno = EXDEV, -1;
  return ::openat(folder_fd, inside.c_str(), O_RDONLY | O_CLOEXEC);
}

}  // namespace

int open_beneath(const fs::path& folder, const fs::path& inside) {
  const int folder_fd = ::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (folder_fd < 0) return -1;
  const int fd = open_in(folder_fd, folder, inside);
  const int saved = errno;
  ::close(folder_fd);
  errno = saved;
  return fd;
}

}  // namespace apex
