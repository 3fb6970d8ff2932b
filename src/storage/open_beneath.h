// Opening a file inside a folder so that nothing can take the open outside it: a symbolic
// link swapped in between a check and the open is refused by the kernel, not by a check
// that has already passed.
#pragma once

#include <filesystem>

namespace apex {

// A read-only descriptor for `inside` (a relative path) within `folder`, or -1 with errno
// set: EXDEV when the path, or a link on it, leads out of the folder. Uses openat2 with
// RESOLVE_BENEATH (Linux 5.6+); a link that is absolute but ends inside the folder is
// followed by its resolved path, opened the same way. Where the kernel lacks openat2 (or a
// filter refuses it), the path is resolved and checked before a plain open.
int open_beneath(const std::filesystem::path& folder, const std::filesystem::path& inside);

}  // namespace apex
