#include "sync/local_hashes.h"

#include "sync/upload_planner.h"

namespace apex::sync {

namespace {

constexpr std::size_t kHashChunk = 1 << 20;

}  // namespace

Result<std::vector<std::string>> digests_of_file(const InputFile& file, std::uint64_t size,
                                                 const std::string& name,
                                                 const std::vector<DigestAlgorithm>& algorithms) {
  std::vector<ContentDigest> digests;
  for (DigestAlgorithm algorithm : algorithms) digests.emplace_back(algorithm);
  std::string chunk;
  for (std::uint64_t offset = 0; offset < size; offset += kHashChunk) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kHashChunk, size - offset));
    if (auto ok = file.read_at(offset, want, name, &chunk); !ok) return std::unexpected(ok.error());
    if (chunk.size() != want)
      return make_error(ErrorKind::Unavailable, "'" + name + "' became shorter while being read");
    for (ContentDigest& digest : digests) digest.update(chunk);
  }
  std::vector<std::string> raw;
  for (ContentDigest& digest : digests) raw.push_back(digest.finish());
  return raw;
}

bool same_content(const Result<ObjectHead>& head, LocalHashes& local) {
  if (!head) return false;
  auto remote = remote_hash(head->metadata, head->info.version);
  if (!remote) return false;
  auto mine = local.hex(remote->algorithm);
  return mine && *mine == remote->hex;
}

}  // namespace apex::sync
