#include "sync/tree_scanner.h"

#include <algorithm>
#include <system_error>

#include "storage/object_store.h"

namespace apex::sync {

namespace fs = std::filesystem;

Result<TreeScan> scan_tree(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(ErrorKind::NotFound, "'" + root.string() + "' is not a folder: nothing to upload");
  TreeScan scan;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return make_error(ErrorKind::Unavailable, "cannot read '" + root.string() + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error(ErrorKind::Unavailable, "cannot read '" + root.string() + "': " + ec.message());
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    auto size = it->file_size(file_ec);
    if (file_ec) {
      scan.rejected.push_back(it->path().string() + ": " + file_ec.message());
      continue;
    }
    std::string key = it->path().lexically_relative(root).generic_string();
    if (auto ok = validate_key(key); !ok) {
      scan.rejected.push_back(it->path().string() + ": " + ok.error().message);
      continue;
    }
    scan.files.push_back(LocalFile{it->path(), std::move(key), size});
  }
  std::sort(scan.files.begin(), scan.files.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return scan;
}

}  // namespace apex::sync
