// Walks a local data tree for `apex upload`: every regular file under a root, with the
// '/'-separated key it gets in the bucket (its path relative to the root, names kept
// byte for byte: spaces, unicode), and every path that could not be read. An unreadable
// path is never "gone": --delete keeps the objects at and under its key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace apex::sync {

struct LocalFile {
  std::filesystem::path path;  // on disk
  std::string key;             // relative to the root, '/'-separated
  std::uint64_t size = 0;
};

// A folder that could not be listed, a file that could not be opened, a dangling symbolic
// link, a FIFO or device: its remote copies (key itself and everything under key + "/")
// must survive --delete.
struct UnreadablePath {
  std::filesystem::path path;
  std::string key;
  std::string reason;
};

struct TreeScan {
  std::vector<LocalFile> files;            // sorted by key
  std::vector<std::string> rejected;       // "path: why" for files that cannot become keys
  std::vector<UnreadablePath> unreadable;  // sorted by key
};

// Lists one folder's entries; the error is why it could not be read. A seam for tests:
// running as root, no permission bit makes a folder unreadable.
using FolderLister = std::function<std::error_code(const std::filesystem::path& folder,
                                                   std::vector<std::filesystem::path>* entries)>;
std::error_code list_folder(const std::filesystem::path& folder, std::vector<std::filesystem::path>* entries);

// Follows symbolic links to files, not to folders (no cycles; such a link is reported as
// unreadable so its remote objects are kept). NotFound when root is not a folder,
// Unavailable when root itself cannot be listed.
Result<TreeScan> scan_tree(const std::filesystem::path& root, const FolderLister& lister = list_folder);

}  // namespace apex::sync
