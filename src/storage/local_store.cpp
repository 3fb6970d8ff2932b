#include "storage/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "storage/atomic_file.h"
#include "storage/file_error.h"
#include "storage/listing_rollup.h"
#include "storage/open_beneath.h"

namespace apex {
namespace fs = std::filesystem;

namespace {

// Large enough that a 3 GB telemetry file takes few syscalls, small enough to stay in cache.
constexpr std::size_t kReadChunkBytes = 1 << 20;
// The name of a file being written, beside its target, until it is renamed into place.
constexpr std::string_view kTemporaryStem = ".apex-tmp-";

std::string time_text(const struct timespec& t) {
  return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

// Size, mtime and ctime. The ctime changes with the permissions too: a file that could not
// be read (a problem of its session, kept with it) and is then made readable by chmod has the
// same size and mtime, and must still be read again.
std::string version_of(const struct stat& st) {
  return std::to_string(st.st_size) + "-" + time_text(st.st_mtim) + "-" + time_text(st.st_ctim);
}

// Closes the descriptor on every return path.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// A failure on a folder of the store, named by its key ("the data folder" for the root
// itself), never by its path: an API answer must not show where the data lives on the server.
Error folder_error(std::string_view folder, std::string_view action, const std::error_code& ec) {
  Error error = file_error(folder, action, ec.value());
  if (folder.empty()) error.message = std::string(action) + " the data folder: " + ec.message();
  return error;
}

}  // namespace

std::string missing_data_folder_message(const fs::path& root) {
  // A file given as the folder exists: "does not exist" sent users looking for a typo.
  std::error_code ec;
  const char* what = fs::exists(root, ec) ? "is not a folder" : "does not exist";
  return "data folder '" + root.string() + "' " + what + "; set DATA_DIR or pass --data-dir";
}

LocalStore::LocalStore(fs::path root) : root_(std::move(root)) {}

std::string LocalStore::describe() const {
  return "local folder " + root_.string();
}

Result<fs::path> LocalStore::path_for(std::string_view key) const {
  if (auto ok = validate_key(key); !ok) return std::unexpected(ok.error());
  fs::path path = root_ / fs::path(std::string(key));
  if (leads_out_of_root(path))
    return make_error(ErrorKind::NotFound, "'" + std::string(key) + "' is a link out of the data folder");
  return path;
}

bool leads_out_of(const fs::path& folder, const fs::path& path, bool if_unresolvable) {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return if_unresolvable;
  const fs::path root = fs::weakly_canonical(folder, ec);
  if (ec) return if_unresolvable;
  return std::mismatch(root.begin(), root.end(), real.begin(), real.end()).first != root.end();
}

// A symbolic link in the tree may point anywhere; what it leads to outside the data folder
// (an /etc file, another user's folder) is not the store's to list or serve. A path that
// cannot be resolved is left to open(), which reports why.
bool LocalStore::leads_out_of_root(const fs::path& path) const {
  return leads_out_of(root_, path, false);
}

Result<Listing> LocalStore::list(std::string_view prefix, std::optional<char> delimiter) {
  std::error_code ec;
  if (!fs::is_directory(root_, ec))
    return make_error(ErrorKind::NotFound, fs::exists(root_, ec) ? "the data folder is not a folder"
                                                                 : "the data folder does not exist");
  // Walk only the deepest folder the prefix names; S3 semantics are then applied by key.
  std::string_view folder_part =
      prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/'));
  fs::path start = folder_part.empty() ? root_ : root_ / fs::path(std::string(folder_part));
  std::vector<ObjectInfo> objects;
  if (fs::is_directory(start, ec)) {
    auto options = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(start, options, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      if (it->is_symlink(ec) && leads_out_of_root(it->path())) continue;
      // The entry's own name under the root, link or not. fs::relative resolves links: it
      // listed a link to a file outside the tree under that file's path ("../../x.csv",
      // a track ".." on /tracks), and one inside the tree under its target's key.
      std::string key = it->path().lexically_relative(root_).generic_string();
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0) continue;
      objects.push_back(ObjectInfo{key, static_cast<std::uint64_t>(st.st_size), version_of(st)});
    }
    if (ec) return std::unexpected(folder_error(folder_part, "cannot list", ec));
  }
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return rollup_listing(std::move(objects), prefix, delimiter);
}

Result<ObjectInfo> LocalStore::stat(std::string_view key) {
  auto path = path_for(key);
  if (!path) return std::unexpected(path.error());
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return std::unexpected(file_error(key, "cannot stat", errno));
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorKind::NotFound, "'" + std::string(key) + "' is not a file");
  return ObjectInfo{std::string(key), static_cast<std::uint64_t>(st.st_size), version_of(st)};
}

Status LocalStore::read(std::string_view key, ByteRange range, const ByteSink& sink) {
  auto path = path_for(key);
  if (!path) return std::unexpected(path.error());
  FileDescriptor file{open_file(key)};
  if (file.fd < 0) return std::unexpected(open_error(key, errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return std::unexpected(file_error(key, "cannot stat", errno));
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorKind::NotFound, "'" + std::string(key) + "' is not a file");
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (range.offset > size)
    return make_error(ErrorKind::InvalidInput, "range starts at " + std::to_string(range.offset) +
                                                   " beyond the end of '" + std::string(key) + "' (" +
                                                   std::to_string(size) + " bytes)");
  std::uint64_t remaining = std::min(size - range.offset, range.length.value_or(size));
  std::uint64_t offset = range.offset;
  std::string buffer(std::min<std::uint64_t>(kReadChunkBytes, std::max<std::uint64_t>(remaining, 1)), '\0');
  while (remaining > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
    ssize_t got = ::pread(file.fd, buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(file_error(key, "cannot read", errno));
    }
    if (got == 0)
      return make_error(ErrorKind::Unavailable, "'" + std::string(key) + "' shrank while being read");
    if (auto ok = sink(std::string_view(buffer.data(), static_cast<std::size_t>(got))); !ok) return ok;
    offset += static_cast<std::uint64_t>(got);
    remaining -= static_cast<std::uint64_t>(got);
  }
  return {};
}

Result<std::unique_ptr<MappedFile>> LocalStore::map(std::string_view key) {
  auto path = path_for(key);
  if (!path) return std::unexpected(path.error());
  const int fd = open_file(key);
  if (fd < 0) return std::unexpected(open_error(key, errno));
  return MappedFile::map_descriptor(fd, key);
}

// Opened by the kernel's rules for staying inside the folder: a link swapped in after
// path_for() checked the path cannot lead the open out.
int LocalStore::open_file(std::string_view key) const {
  return open_beneath(root_, fs::path(std::string(key)));
}

Error LocalStore::open_error(std::string_view key, int error) {
  if (error == EXDEV)
    return Error{ErrorKind::NotFound, "'" + std::string(key) + "' is a link out of the data folder"};
  return file_error(key, "cannot open", error);
}

Status LocalStore::write(std::string_view key, const ByteSource& source) {
  auto path = path_for(key);
  if (!path) return std::unexpected(path.error());
  std::error_code ec;
  fs::create_directories(path->parent_path(), ec);
  if (ec)
    return std::unexpected(
        folder_error(fs::path(std::string(key)).parent_path().generic_string(), "cannot create folder", ec));
  // Written beside the target and renamed, so a reader never sees half a file.
  auto failed = [key](const AtomicFileFailure& failure) -> Status {
    static constexpr const char* kAction[] = {"cannot create", "cannot write", "cannot flush",
                                              "cannot replace"};
    return std::unexpected(file_error(key, kAction[static_cast<int>(failure.step)], failure.error));
  };
  auto file = AtomicFile::create(*path, kTemporaryStem, 0644);
  if (!file) return failed(file.error());
  std::string buffer(kReadChunkBytes, '\0');
  while (true) {
    auto n = source(buffer.data(), buffer.size());
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    if (auto ok = file->append(std::string_view(buffer.data(), *n)); !ok) return failed(ok.error());
  }
  if (auto ok = file->commit(); !ok) return failed(ok.error());
  return {};
}

Status LocalStore::remove(std::string_view key) {
  auto path = path_for(key);
  if (!path) return std::unexpected(path.error());
  if (::unlink(path->c_str()) != 0) return std::unexpected(file_error(key, "cannot delete", errno));
  return {};
}

}  // namespace apex
