#include "sync/tree_scanner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/object_store.h"

namespace apex::sync {

namespace fs = std::filesystem;

namespace {

// Opening is the only honest readability test (as root, or with ACLs, the mode bits say
// nothing). O_NONBLOCK: never hang on a FIFO that slipped through.
std::string open_problem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  return {};
}

class TreeWalker {
 public:
  TreeWalker(const FolderLister& lister, TreeScan& scan) : lister_(lister), scan_(scan) {}

  void walk(const fs::path& folder, const std::string& key_prefix) {
    std::vector<fs::path> entries;
    if (auto ec = lister_(folder, &entries)) {
      unreadable(folder, key_prefix, "cannot list the folder: " + ec.message());
      return;
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) visit(entry, key_prefix + entry.filename().string());
  }

 private:
  void visit(const fs::path& path, const std::string& key) {
    std::error_code ec;
    const auto link = fs::symlink_status(path, ec);
    if (ec) return unreadable(path, key, ec.message());
    const auto target = fs::status(path, ec);
    if (fs::is_symlink(link) && !fs::exists(target))
      return unreadable(path, key, "dangling symbolic link to '" + fs::read_symlink(path, ec).string() + "'");
    if (ec) return unreadable(path, key, ec.message());
    if (fs::is_directory(target)) {
      if (fs::is_symlink(link))
        return unreadable(path, key, "symbolic link to a folder, which is not followed");
      return walk(path, key + "/");
    }
    if (!fs::is_regular_file(target))
      return unreadable(path, key, "not a regular file or folder (a FIFO, socket or device)");
    if (auto problem = open_problem(path); !problem.empty()) return unreadable(path, key, problem);
    const auto size = fs::file_size(path, ec);
    if (ec) return unreadable(path, key, ec.message());
    if (auto ok = validate_key(key); !ok) {
      scan_.rejected.push_back(path.string() + ": " + ok.error().message);
      return;
    }
    scan_.files.push_back(LocalFile{path, key, size});
  }

  void unreadable(const fs::path& path, std::string key, std::string reason) {
    if (key.ends_with('/')) key.pop_back();
    scan_.unreadable.push_back(UnreadablePath{path, std::move(key), std::move(reason)});
  }

  const FolderLister& lister_;
  TreeScan& scan_;
};

}  // namespace

std::error_code list_folder(const fs::path& folder, std::vector<fs::path>* entries) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) entries->push_back(it->path());
  return ec;
}

Result<TreeScan> scan_tree(const fs::path& root, const FolderLister& lister) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(ErrorKind::NotFound, "'" + root.string() + "' is not a folder: nothing to upload");
  std::vector<fs::path> probe;
  if (auto listed = lister(root, &probe))
    return make_error(ErrorKind::Unavailable, "cannot read '" + root.string() + "': " + listed.message());
  TreeScan scan;
  TreeWalker(lister, scan).walk(root, "");
  auto by_key = [](const auto& a, const auto& b) { return a.key < b.key; };
  std::sort(scan.files.begin(), scan.files.end(), by_key);
  std::sort(scan.unreadable.begin(), scan.unreadable.end(), by_key);
  return scan;
}

}  // namespace apex::sync
