#include "cli/delete_confirmation.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/counted_noun.h"
#include "sync/upload_planner.h"

namespace apex::cli {

namespace {

constexpr std::size_t kKeysShown = 20;

// Why this delete needs a confirmation; empty when it does not.
std::string risk_of(const DeleteRequest& request, const std::vector<sync::EmptiedFolder>& emptied) {
  std::string risk;
  if (!emptied.empty()) {
    risk = "it would delete every object of " + counted(emptied.size(), "folder") + " under " +
           request.location_prefix + ":";
    for (const auto& folder : emptied)
      risk += " " + folder.folder + " (" + counted(folder.objects, "object") + ")";
  }
  if (request.deletions.size() > request.max_delete) {
    if (!risk.empty()) risk += "; and ";
    risk += "it would delete " + std::to_string(request.deletions.size()) +
            " objects, more than --max-delete " + std::to_string(request.max_delete);
  }
  return risk;
}

void print_what_would_go(const DeleteRequest& request) {
  std::fprintf(stderr, "apex: --delete would delete %s:\n",
               counted(request.deletions.size(), "object").c_str());
  for (std::size_t i = 0; i < request.deletions.size() && i < kKeysShown; ++i)
    std::fprintf(stderr, "  %s%s\n", request.location_prefix.c_str(), request.deletions[i].c_str());
  if (request.deletions.size() > kKeysShown)
    std::fprintf(stderr, "  ... and %zu more\n", request.deletions.size() - kKeysShown);
}

// DIR's contents map to the prefix itself, as `aws s3 sync DIR s3://bucket/data/` does; a
// user who meant one track's folder needs the track in the prefix.
void print_mapping_hint(const DeleteRequest& request) {
  auto dir = std::filesystem::path(request.dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "gr-cup/barber/"
  const std::string name = dir.filename().string();
  std::fprintf(stderr,
               "apex: the files of DIR go directly under %s, as with `aws s3 sync`; to sync only one "
               "track's folder, name the track in the prefix (e.g. --prefix %s%s/)\n",
               request.location_prefix.c_str(), request.prefix.c_str(),
               name.empty() ? "TRACK" : name.c_str());
}

bool ask_on_terminal() {
  std::fprintf(stderr, "Delete them? [y/N] ");
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

}  // namespace

bool deletions_confirmed(const DeleteRequest& request) {
  if (request.deletions.empty()) return true;
  const auto emptied = sync::folders_emptied(request.deletions, *request.remote);
  const std::string risk = risk_of(request, emptied);
  if (risk.empty()) return true;
  if (request.dry_run) {
    std::fprintf(stderr, "apex: note: %s; without --dry-run apex asks before deleting\n", risk.c_str());
    return true;
  }
  print_what_would_go(request);
  std::fprintf(stderr, "apex: %s\n", risk.c_str());
  if (!emptied.empty()) print_mapping_hint(request);
  if (request.yes) {
    std::fprintf(stderr, "apex: deleting them after the uploads (--yes)\n");
    return true;
  }
  if (::isatty(STDIN_FILENO) == 1 && ask_on_terminal()) return true;
  std::fprintf(stderr,
               "apex: not confirmed: nothing was uploaded or deleted; check DIR and the prefix, or pass "
               "--yes (or a higher --max-delete) to go ahead\n");
  return false;
}

}  // namespace apex::cli
