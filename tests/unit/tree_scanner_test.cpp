// scan_tree: what upload sends, and which local paths it could not read (so --delete keeps
// their objects). A FolderLister that fails for one folder stands in for a folder the
// system refuses to list, which no permission bit achieves when the tests run as root.
#include "sync/tree_scanner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "test_paths.h"

namespace apex::sync {
namespace {

namespace fs = std::filesystem;

class TreeScanner : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("apex-tree-scanner-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    write("trackA/a.csv", "a");
    write("trackB/b.csv", "b");
    write("trackB/sub/c.csv", "c");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& key, const std::string& bytes) {
    fs::create_directories((root_ / key).parent_path());
    std::ofstream(root_ / key, std::ios::binary) << bytes;
  }
  static std::vector<std::string> keys_of(const TreeScan& scan) {
    std::vector<std::string> keys;
    for (const auto& file : scan.files) keys.push_back(file.key);
    return keys;
  }
  fs::path root_;
};

TEST_F(TreeScanner, ReadableTreeHasNoUnreadablePaths) {
  auto scan = scan_tree(root_);
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(keys_of(*scan), (std::vector<std::string>{"trackA/a.csv", "trackB/b.csv", "trackB/sub/c.csv"}));
  EXPECT_TRUE(scan->unreadable.empty());
}

TEST_F(TreeScanner, AFolderThatCannotBeListedIsReportedWithItsKeyAndReason) {
  FolderLister refuse_track_b = [&](const fs::path& folder, std::vector<fs::path>* entries) {
    if (folder.filename() == "trackB") return std::make_error_code(std::errc::permission_denied);
    return list_folder(folder, entries);
  };
  auto scan = scan_tree(root_, refuse_track_b);
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(keys_of(*scan), (std::vector<std::string>{"trackA/a.csv"}));
  ASSERT_EQ(scan->unreadable.size(), 1u);
  EXPECT_EQ(scan->unreadable[0].key, "trackB");
  EXPECT_EQ(scan->unreadable[0].path, root_ / "trackB");
  EXPECT_NE(scan->unreadable[0].reason.find("Permission denied"), std::string::npos)
      << scan->unreadable[0].reason;
}

TEST_F(TreeScanner, DanglingLinksFifosAndLinkedFoldersAreUnreadable) {
  fs::remove_all(root_ / "trackB");
  fs::create_directory_symlink(root_ / "nowhere", root_ / "trackB");
  ASSERT_EQ(::mkfifo((root_ / "trackA" / "pipe.csv").c_str(), 0600), 0);
  fs::create_directory_symlink(root_ / "trackA", root_ / "linked");
  auto scan = scan_tree(root_);
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(keys_of(*scan), (std::vector<std::string>{"trackA/a.csv"}));
  ASSERT_EQ(scan->unreadable.size(), 3u);
  EXPECT_EQ(scan->unreadable[0].key, "linked");
  EXPECT_NE(scan->unreadable[0].reason.find("symbolic link to a folder"), std::string::npos);
  EXPECT_EQ(scan->unreadable[1].key, "trackA/pipe.csv");
  EXPECT_NE(scan->unreadable[1].reason.find("not a regular file"), std::string::npos);
  EXPECT_EQ(scan->unreadable[2].key, "trackB");
  EXPECT_NE(scan->unreadable[2].reason.find("dangling symbolic link"), std::string::npos);
}

TEST_F(TreeScanner, AnUnlistableRootIsAnError) {
  FolderLister refuse_all = [](const fs::path&, std::vector<fs::path>*) {
    return std::make_error_code(std::errc::permission_denied);
  };
  auto scan = scan_tree(root_, refuse_all);
  ASSERT_FALSE(scan);
  EXPECT_NE(scan.error().message.find(root_.string()), std::string::npos);
}

}  // namespace
}  // namespace apex::sync
