// AtomicFile: a target is replaced whole or left as it was, and no temporary file stays.
#include "storage/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace apex {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("apex-atomic-file-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, CommitReplacesTheTargetWithEveryByte) {
  const fs::path target = dir_ / "laps.csv";
  std::ofstream(target) << "old";
  auto file = AtomicFile::create(target, ".apex-tmp-");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->temporary_path().parent_path(), dir_);
  EXPECT_NE(file->temporary_path().filename().string().find('\\'), std::string::npos);
  const std::string big(200 * 1024, 'b');
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(file->append("row\n"));
  ASSERT_TRUE(file->append(big));
  EXPECT_EQ(read(target), "old") << "readers see the old file until the commit";
  ASSERT_TRUE(file->commit());
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += "row\n";
  EXPECT_TRUE(read(target) == expected + big);
  EXPECT_EQ(entries(), 1u) << "no temporary file left";
}

TEST_F(AtomicFileTest, AFileDroppedOrFailingToCommitLeavesTheTargetAsItWas) {
  const fs::path target = dir_ / "laps.csv";
  std::ofstream(target) << "old";
  {
    auto file = AtomicFile::create(target, ".apex-tmp-");
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append("new"));
  }
  EXPECT_EQ(read(target), "old");
  EXPECT_EQ(entries(), 1u);

  const fs::path folder = dir_ / "in-the-way";
  fs::create_directories(folder / "inside");
  auto file = AtomicFile::create(folder, ".apex-tmp-");
  ASSERT_TRUE(file);
  auto committed = file->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().step, AtomicFileFailure::Step::Replace);
  EXPECT_FALSE(fs::exists(file->temporary_path())) << "removed at once, not left for the destructor";
}

TEST_F(AtomicFileTest, TheModeIsFilteredByTheUmaskAsOpenDoes) {
  const mode_t mask = ::umask(027);
  auto file = AtomicFile::create(dir_ / "x", ".apex-tmp-", 0666);
  ::umask(mask);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->commit());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(AtomicFileTest, AMissingFolderIsACreateFailure) {
  auto file = AtomicFile::create(dir_ / "absent" / "x", ".apex-tmp-");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().step, AtomicFileFailure::Step::Create);
  EXPECT_EQ(file.error().error, ENOENT);
}

}  // namespace
}  // namespace apex
