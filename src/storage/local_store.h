// LocalStore: an ObjectStore over a folder on disk (the developer's data tree).
#pragma once

#include <filesystem>

#include "storage/object_store.h"

namespace apex {

// "data folder 'X' does not exist (or: is not a folder); set DATA_DIR or pass --data-dir",
// for the store's listing and for `apex serve`'s check at start-up alike.
std::string missing_data_folder_message(const std::filesystem::path& root);

// Whether `path`, its symbolic links resolved, lies outside `folder` (resolved too);
// `if_unresolvable` when either cannot be resolved.
bool leads_out_of(const std::filesystem::path& folder, const std::filesystem::path& path,
                  bool if_unresolvable);

// Messages name files by their key (relative to the data root), never by their path on
// disk: they reach API answers (error details, a session's problems), which must not show
// where the data lives on the server. Only describe() and the message for a missing data
// folder name the root, as the operator configured it. A symbolic link that leads out of
// the folder is neither listed nor read.
class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(std::filesystem::path root);

  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override;
  Result<ObjectInfo> stat(std::string_view key) override;
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override;
  Status write(std::string_view key, const ByteSource& source) override;
  Status remove(std::string_view key) override;
  std::string describe() const override;
  std::string describe_publicly() const override { return "local folder"; }
  Result<std::unique_ptr<MappedFile>> map(std::string_view key) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  Result<std::filesystem::path> path_for(std::string_view key) const;
  bool leads_out_of_root(const std::filesystem::path& path) const;
  int open_file(std::string_view key) const;
  static Error open_error(std::string_view key, int error);
  std::filesystem::path root_;
};

}  // namespace apex
