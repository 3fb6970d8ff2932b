// The check `apex upload --delete` makes before deleting anything: a delete that would empty
// a whole top-level folder (a track, under data/) or remove more than --max-delete objects
// is far more often the wrong DIR or prefix than the user's intent, so it is shown first
// and done only when confirmed: a y/N question on a terminal, --yes otherwise.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace apex::cli {

// rclone's --max-delete has no limit by default; here a re-sync of race data removes a few
// renamed files, while a wrong folder removes dozens (a track holds 10-40 files).
inline constexpr std::size_t kDefaultMaxDelete = 50;

struct DeleteRequest {
  std::vector<std::string> deletions;  // keys relative to the prefix
  const Listing* remote = nullptr;
  std::string location_prefix;  // "s3://bucket/data/"
  std::string prefix;           // "data/", for the hint
  std::string dir;              // the folder uploaded, for the hint
  std::size_t max_delete = kDefaultMaxDelete;
  bool yes = false;      // --yes: confirmed in advance
  bool dry_run = false;  // only say what would go
};

// True when the deletions may go ahead. Otherwise the reason and what would have been
// deleted are printed on stderr, and nothing must be uploaded or deleted.
bool deletions_confirmed(const DeleteRequest& request);

}  // namespace apex::cli
