// Walks a local data tree for `apex upload`: every regular file under a root, with the
// '/'-separated key it gets in the bucket (its path relative to the root, names kept
// byte for byte: spaces, unicode).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace apex::sync {

struct LocalFile {
  std::filesystem::path path;  // on disk
  std::string key;             // relative to the root, '/'-separated
  std::uint64_t size = 0;
};

struct TreeScan {
  std::vector<LocalFile> files;       // sorted by key
  std::vector<std::string> rejected;  // "path: why" for files that cannot become keys
};

// Follows symbolic links to files, not to folders (no cycles). NotFound when root is
// not a folder.
Result<TreeScan> scan_tree(const std::filesystem::path& root);

}  // namespace apex::sync
