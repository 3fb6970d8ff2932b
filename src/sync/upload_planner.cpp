#include "sync/upload_planner.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace apex::sync {

namespace {

constexpr std::uint64_t kMinPartSize = 5ull * 1024 * 1024;
constexpr std::uint64_t kMaxParts = 10'000;

bool is_plain_md5(std::string_view etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

SyncDecision decide(std::uint64_t local_size, std::string_view local_md5, const ObjectInfo* remote,
                    bool force) {
  if (force || remote == nullptr || remote->size != local_size) return SyncDecision::Transfer;
  if (is_plain_md5(remote->version) && remote->version == local_md5) return SyncDecision::Skip;
  return SyncDecision::NeedsHead;
}

std::optional<RemoteHash> remote_hash(const std::map<std::string, std::string>& metadata,
                                      std::string_view etag) {
  if (auto it = metadata.find(std::string(kXxh128MetadataName)); it != metadata.end() && !it->second.empty())
    return RemoteHash{DigestAlgorithm::Xxh128, it->second};
  if (auto it = metadata.find(std::string(kSha256MetadataName)); it != metadata.end() && !it->second.empty())
    return RemoteHash{DigestAlgorithm::Sha256, it->second};
  if (auto it = metadata.find(std::string(kMd5MetadataName)); it != metadata.end() && !it->second.empty())
    return RemoteHash{DigestAlgorithm::Md5, it->second};
  if (is_plain_md5(etag)) return RemoteHash{DigestAlgorithm::Md5, std::string(etag)};
  return std::nullopt;
}

bool is_at_or_under(std::string_view key, std::string_view kept_key) {
  if (kept_key.empty()) return true;  // the root itself could not be read: keep everything
  return key.starts_with(kept_key) && (key.size() == kept_key.size() || key[kept_key.size()] == '/');
}

std::vector<std::string> keys_to_delete(const std::vector<std::string>& local_keys, const Listing& remote,
                                        const std::vector<std::string>& kept_keys) {
  std::vector<std::string> gone;
  for (const auto& object : remote.objects) {
    if (std::binary_search(local_keys.begin(), local_keys.end(), object.key)) continue;
    const bool kept = std::any_of(kept_keys.begin(), kept_keys.end(),
                                  [&](const std::string& k) { return is_at_or_under(object.key, k); });
    if (!kept) gone.push_back(object.key);
  }
  return gone;
}

std::vector<EmptiedFolder> folders_emptied(const std::vector<std::string>& deletions, const Listing& remote) {
  const std::set<std::string> deleted(deletions.begin(), deletions.end());
  std::map<std::string, std::pair<std::size_t, std::size_t>> per_folder;  // held, deleted
  for (const auto& object : remote.objects) {
    const auto slash = object.key.find('/');
    if (slash == std::string::npos) continue;
    auto& [held, gone] = per_folder[object.key.substr(0, slash + 1)];
    ++held;
    if (deleted.contains(object.key)) ++gone;
  }
  std::vector<EmptiedFolder> emptied;
  for (const auto& [folder, counts] : per_folder)
    if (counts.first == counts.second) emptied.push_back({folder, counts.first});
  return emptied;
}

ResumeCheck check_stored_parts(
    const std::vector<StoredPartInfo>& stored, std::uint64_t part_size, std::uint64_t file_size,
    const std::function<Result<std::string>(std::uint64_t, std::size_t)>& md5_hex_of) {
  ResumeCheck check;
  const std::uint64_t parts = (file_size + part_size - 1) / part_size;
  check.etags.resize(static_cast<std::size_t>(parts));
  auto refuse = [&](std::string why) {
    check.problem = std::move(why);
    check.etags.clear();
    check.parts_reused = 0;
    return check;
  };
  if (stored.empty()) return refuse("it holds no parts yet");
  for (const auto& part : stored) {
    const std::string name = "part " + std::to_string(part.number);
    if (part.number < 1 || static_cast<std::uint64_t>(part.number) > parts)
      return refuse(name + " lies beyond the local file's " + std::to_string(parts) + " parts");
    const std::uint64_t offset = static_cast<std::uint64_t>(part.number - 1) * part_size;
    const auto length = static_cast<std::size_t>(std::min(part_size, file_size - offset));
    if (part.size != length)
      return refuse(name + " holds " + std::to_string(part.size) + " bytes where this run's holds " +
                    std::to_string(length) + " (another --part-size, or the file changed)");
    if (!is_plain_md5(part.etag)) return refuse(name + "'s ETag is not an MD5, so it cannot be checked");
    auto mine = md5_hex_of(offset, length);
    if (!mine) return refuse("cannot read the local file: " + mine.error().message);
    if (*mine != part.etag) return refuse(name + " differs from the local file");
    check.etags[static_cast<std::size_t>(part.number - 1)] = part.etag;
    ++check.parts_reused;
  }
  return check;
}

std::string_view content_type_for(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTypes{{
      {"csv", "text/csv"},
      {"txt", "text/plain"},
      {"md", "text/markdown"},
      {"json", "application/json"},
      {"xml", "application/xml"},
      {"html", "text/html"},
      {"htm", "text/html"},
      {"css", "text/css"},
      {"js", "text/javascript"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"parquet", "application/vnd.apache.parquet"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"svg", "image/svg+xml"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"mp4", "video/mp4"},
  }};
  auto slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [extension, type] : kTypes)
    if (extension == ext) return type;
  return "application/octet-stream";
}

std::uint64_t part_size_for(std::uint64_t object_size, std::uint64_t preferred) {
  std::uint64_t size = std::max(preferred, kMinPartSize);
  std::uint64_t needed = (object_size + kMaxParts - 1) / kMaxParts;
  if (needed > size) size = (needed + kMinPartSize - 1) / kMinPartSize * kMinPartSize;
  return size;
}

}  // namespace apex::sync
