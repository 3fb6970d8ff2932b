#include "storage/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "storage/file_error.h"

namespace apex {

namespace {

// The SIGBUS guard's table: what the handler may read. Slots are claimed and released with
// atomics only (a signal handler cannot take a lock). 64 files mapped at once is far more
// than the telemetry cache loads at a time; past that, open() answers "no mapping" and the
// caller reads the file instead.
struct GuardSlot {
  std::atomic<bool> used{false};
  std::atomic<std::uintptr_t> begin{0};  // 0: not guarding
  std::atomic<std::uintptr_t> end{0};
  std::atomic<std::atomic<bool>*> damaged{nullptr};
};
std::array<GuardSlot, 64> g_slots;
struct sigaction g_previous {};
std::uintptr_t g_page_bytes = 4096;
std::once_flag g_installed;

void pass_on(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // The default action: blocked while this handler runs, the re-raised signal is delivered
  // as it returns and ends the process, as it would have without the guard.
  std::signal(SIGBUS, SIG_DFL);
  std::raise(SIGBUS);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  // Only a fault on a page the file no longer backs (BUS_ADRERR) is ours; a SIGBUS sent by
  // kill() carries no fault address.
  if (info->si_code != BUS_ADRERR) return pass_on(sig, info, context);
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (GuardSlot& slot : g_slots) {
    const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    const std::uintptr_t end = slot.end.load(std::memory_order_acquire);
    if (begin == 0 || address < begin || address >= end) continue;
    // Zero pages from the faulting page to the end of the mapping, in one call: the file
    // is shorter than mapped from here on (a reader of another part may fault earlier and
    // cover its part the same way). mmap is a plain system call, safe in a handler.
    const std::uintptr_t page = address & ~(g_page_bytes - 1);
    void* zeros = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros == MAP_FAILED) break;
    if (std::atomic<bool>* damaged = slot.damaged.load(std::memory_order_acquire))
      damaged->store(true, std::memory_order_release);
    return;
  }
  pass_on(sig, info, context);
}

void install_guard() {
  g_page_bytes = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

int claim_slot(std::uintptr_t begin, std::uintptr_t end, std::atomic<bool>* damaged) {
  for (std::size_t i = 0; i < g_slots.size(); ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    g_slots[i].damaged.store(damaged, std::memory_order_release);
    g_slots[i].end.store(end, std::memory_order_release);
    g_slots[i].begin.store(begin, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void release_slot(int i) {
  GuardSlot& slot = g_slots[static_cast<std::size_t>(i)];
  slot.begin.store(0, std::memory_order_release);
  slot.end.store(0, std::memory_order_release);
  slot.damaged.store(nullptr, std::memory_order_release);
  slot.used.store(false, std::memory_order_release);
}

}  // namespace

MappedFile::MappedFile(const char* data, std::size_t size, std::size_t mapped_bytes, int fd,
                       const struct stat& opened)
    : data_(data), size_(size), mapped_bytes_(mapped_bytes), fd_(fd), opened_(opened) {}

MappedFile::~MappedFile() {
  if (slot_ >= 0) release_slot(slot_);
  if (mapped_bytes_ > 0) ::munmap(const_cast<char*>(data_), mapped_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

bool MappedFile::changed() const {
  if (fd_ < 0) return false;
  struct stat now {};
  if (::fstat(fd_, &now) != 0) return true;
  auto same_time = [](const struct timespec& a, const struct timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
  };
  return now.st_size != opened_.st_size || !same_time(now.st_mtim, opened_.st_mtim) ||
         !same_time(now.st_ctim, opened_.st_ctim);
}

void MappedFile::drop_pages(std::string_view part) const {
  const auto base = reinterpret_cast<std::uintptr_t>(data_);
  const auto from = reinterpret_cast<std::uintptr_t>(part.data());
  if (part.empty() || from < base || from + part.size() > base + size_) return;
  const std::uintptr_t begin = (from + g_page_bytes - 1) & ~(g_page_bytes - 1);
  // The file's last page is whole in the mapping, so a part that ends the file ends there.
  const std::uintptr_t end =
      from + part.size() == base + size_ ? base + mapped_bytes_ : (from + part.size()) & ~(g_page_bytes - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::filesystem::path& path,
                                                     std::string_view name) {
  const std::string shown = name.empty() ? path.string() : std::string(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(file_error(shown, "cannot open", errno));
  return map_descriptor(fd, shown);
}

Result<std::unique_ptr<MappedFile>> MappedFile::map_descriptor(int fd, std::string_view name) {
  std::call_once(g_installed, install_guard);
  const std::string shown(name);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(file_error(shown, "cannot stat", err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ErrorKind::NotFound, "'" + shown + "' is not a file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return std::unique_ptr<MappedFile>(new MappedFile(nullptr, 0, 0, -1, st));
  }
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  const int map_errno = errno;
  if (data == MAP_FAILED) {
    ::close(fd);
    return std::unexpected(file_error(shown, "cannot map", map_errno));
  }
  // Read ahead from disk now, while the first pages are being parsed.
  ::madvise(data, size, MADV_WILLNEED);
  const std::size_t mapped = (size + g_page_bytes - 1) & ~(g_page_bytes - 1);
  // The descriptor stays with the mapping, so changed() looks at this file, not at
  // whatever its path names by then.
  std::unique_ptr<MappedFile> file(new MappedFile(static_cast<const char*>(data), size, mapped, fd, st));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  file->slot_ = claim_slot(begin, begin + mapped, file->damaged_.get());
  if (file->slot_ < 0) return std::unique_ptr<MappedFile>();  // unguarded: read it instead
  return file;
}

}  // namespace apex
