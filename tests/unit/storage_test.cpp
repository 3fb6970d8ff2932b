#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "storage/file_error.h"
#include "storage/local_store.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

TEST(ValidateKey, RejectsKeysThatEscapeTheRoot) {
  EXPECT_TRUE(validate_key("barber/R1_barber_lap_end.csv"));
  EXPECT_TRUE(validate_key("COTA/Race 1/COTA_lap_time_R1.csv"));
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a\\b", "a/"})
    EXPECT_FALSE(validate_key(bad)) << bad;
}

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
    } else {
      // A parameterised test's name is "Name/N": the slash would make the folder a
      // subfolder of one TearDown does not remove.
      std::string test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(test_name.begin(), test_name.end(), '/', '-');
      root_ = std::filesystem::temp_directory_path() /
              ("apex-local-store-" + std::to_string(::getpid()) + "-" + test_name);
      std::filesystem::remove_all(root_);
      std::filesystem::create_directories(root_);
      store_ = std::make_unique<LocalStore>(root_);
    }
  }
  void TearDown() override {
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  std::filesystem::path root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(StoreContract, WriteReadStatRemove) {
  ASSERT_TRUE(store_->write_all("t/Race 1/a b.csv", "hello, world"));
  auto info = store_->stat("t/Race 1/a b.csv");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 12u);
  EXPECT_FALSE(info->version.empty());
  EXPECT_EQ(*store_->read_all("t/Race 1/a b.csv"), "hello, world");

  std::string part;
  ASSERT_TRUE(store_->read("t/Race 1/a b.csv", ByteRange{7, 5}, [&](std::string_view c) -> Status {
    part.append(c);
    return {};
  }));
  EXPECT_EQ(part, "world");

  ASSERT_TRUE(store_->remove("t/Race 1/a b.csv"));
  auto gone = store_->stat("t/Race 1/a b.csv");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
}

TEST_P(StoreContract, MissingObjectIsNotFound) {
  auto r = store_->read_all("nope/missing.csv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

TEST_P(StoreContract, ListingRollsUpLikeS3) {
  for (const char* key : {"a/x.csv", "a/y/z.csv", "b/Race 1/c.csv", "top.txt"})
    ASSERT_TRUE(store_->write_all(key, "1"));
  auto all = store_->list("", std::nullopt);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->objects.size(), 4u);
  EXPECT_EQ(all->objects[0].key, "a/x.csv");

  auto top = store_->list("", '/');
  ASSERT_TRUE(top);
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  ASSERT_EQ(top->objects.size(), 1u);
  EXPECT_EQ(top->objects[0].key, "top.txt");

  auto in_a = store_->list("a/", '/');
  ASSERT_TRUE(in_a);
  EXPECT_EQ(in_a->common_prefixes, (std::vector<std::string>{"a/y/"}));
  ASSERT_EQ(in_a->objects.size(), 1u);
}

TEST_P(StoreContract, VersionChangesWithContent) {
  ASSERT_TRUE(store_->write_all("v.csv", "one"));
  auto first = store_->stat("v.csv");
  ASSERT_TRUE(store_->write_all("v.csv", "three"));
  auto second = store_->stat("v.csv");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->version, second->version);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("memory", "local"));

// The error of a call expected to fail (one that says so when it did not).
template <typename T>
Error failure_of(const std::expected<T, Error>& result) {
  return result ? Error{ErrorKind::InvalidInput, "the call succeeded"} : result.error();
}

// A folder the test makes and removes, with a LocalStore over it.
class LocalStoreFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "t");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  // The message names the key and says nothing of where the store's folder is: these
  // messages reach API answers (a session's problems, error details).
  void expect_named_by_key(const Error& error, std::string_view key) const {
    EXPECT_NE(error.message.find("'" + std::string(key) + "'"), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find(root_.string()), std::string::npos) << error.message;
  }
  const std::filesystem::path root_ = std::filesystem::temp_directory_path() /
                                      ("apex-local-files-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  LocalStore store_{root_};
};

TEST_F(LocalStoreFiles, MessagesNameTheKeyNotThePathOnDisk) {
  auto missing = store_.read_all("t/missing.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  expect_named_by_key(missing.error(), "t/missing.csv");

  // A folder where the file should be.
  std::filesystem::create_directories(root_ / "t" / "folder.csv");
  for (const Error& error : {failure_of(store_.read_all("t/folder.csv")),
                             failure_of(store_.stat("t/folder.csv")), failure_of(store_.map("t/folder.csv"))})
    expect_named_by_key(error, "t/folder.csv");

  // A link to itself: open and stat fail (ELOOP).
  std::filesystem::create_symlink("loop.csv", root_ / "t" / "loop.csv");
  for (const Error& error : {failure_of(store_.read_all("t/loop.csv")), failure_of(store_.stat("t/loop.csv")),
                             failure_of(store_.map("t/loop.csv"))})
    expect_named_by_key(error, "t/loop.csv");

  // Writing below a file: its folder cannot be made.
  ASSERT_TRUE(store_.write_all("t/file", "x"));
  auto below = store_.write_all("t/file/x.csv", "x");
  ASSERT_FALSE(below);
  expect_named_by_key(below.error(), "t/file");
}

// A link is listed under its own name, wherever it points, and reads as its target does.
TEST_F(LocalStoreFiles, ALinkIsListedUnderItsOwnKey) {
  const std::filesystem::path outside = root_.string() + "-outside";
  std::filesystem::create_directories(outside);
  ASSERT_TRUE(LocalStore(outside).write_all("x.csv", "outside"));
  ASSERT_TRUE(store_.write_all("t/real.csv", "inside"));
  std::filesystem::create_symlink(outside / "x.csv", root_ / "t" / "linked.csv");
  std::filesystem::create_symlink("real.csv", root_ / "t" / "alias.csv");
  auto listing = store_.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  std::vector<std::string> keys;
  for (const auto& object : listing->objects) keys.push_back(object.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"t/alias.csv", "t/linked.csv", "t/real.csv"}));
  EXPECT_EQ(store_.read_all("t/linked.csv").value_or(""), "outside");
  EXPECT_EQ(store_.read_all("t/alias.csv").value_or(""), "inside");
  std::filesystem::remove_all(outside);
}

// A file made readable again by chmod has the content it had: the version must change all
// the same, or its session would keep reporting it unreadable (the session cache reloads
// what changed version, nothing else).
TEST_F(LocalStoreFiles, VersionChangesWhenOnlyThePermissionsDo) {
  ASSERT_TRUE(store_.write_all("t/a.csv", "x"));
  auto before = store_.stat("t/a.csv");
  ASSERT_TRUE(before);
  // File times come from a clock that ticks every few milliseconds: let it tick once.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::filesystem::permissions(root_ / "t" / "a.csv", std::filesystem::perms::owner_read,
                               std::filesystem::perm_options::replace);
  auto after = store_.stat("t/a.csv");
  ASSERT_TRUE(after);
  EXPECT_NE(before->version, after->version);
  auto listed = store_.list("t/", std::nullopt);
  ASSERT_TRUE(listed && listed->objects.size() == 1u);
  EXPECT_EQ(listed->objects[0].version, after->version);
}

// What retrying cannot fix is Unreadable (a session skips the file and reports it); only
// what may pass by itself is Unavailable (the API answers 503 "try again later").
TEST_F(LocalStoreFiles, ALoopOfLinksIsUnreadableNotUnavailable) {
  std::filesystem::create_symlink("loop.csv", root_ / "t" / "loop.csv");
  for (const Error& error : {failure_of(store_.read_all("t/loop.csv")), failure_of(store_.stat("t/loop.csv")),
                             failure_of(store_.map("t/loop.csv"))})
    EXPECT_EQ(error.kind, ErrorKind::Unreadable) << error.describe();
}

TEST(FileErrorKind, OnlyWhatMayPassByItselfIsUnavailable) {
  for (int err : {EACCES, EPERM, ELOOP, EISDIR, ENAMETOOLONG, EIO, EOVERFLOW})
    EXPECT_EQ(file_error("t/a.csv", "cannot open", err).kind, ErrorKind::Unreadable) << std::strerror(err);
  for (int err : {EMFILE, ENFILE, ENOMEM, EAGAIN, EBUSY, ETIMEDOUT, ESTALE})
    EXPECT_EQ(file_error("t/a.csv", "cannot open", err).kind, ErrorKind::Unavailable) << std::strerror(err);
  for (int err : {ENOENT, ENOTDIR})
    EXPECT_EQ(file_error("t/a.csv", "cannot open", err).kind, ErrorKind::NotFound) << std::strerror(err);
}

// Permission denied, which a service account meets on a file another user owns. Running as
// root (as tests here do) reads any mode, so the file is a link to one that even root
// cannot open for reading: a write-only kernel setting. Skipped where that is not so.
TEST_F(LocalStoreFiles, PermissionDeniedIsUnreadableAndNamesTheKey) {
  const std::filesystem::path write_only = "/proc/sys/vm/drop_caches";
  const int fd = ::open(write_only.c_str(), O_RDONLY | O_CLOEXEC);
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (fd >= 0 || err != EACCES) GTEST_SKIP() << write_only << " is not a file this process is denied reading";
  std::filesystem::create_symlink(write_only, root_ / "t" / "denied.csv");
  ASSERT_TRUE(store_.stat("t/denied.csv")) << "listed like any file: stat needs no read permission";
  for (const Error& error :
       {failure_of(store_.read_all("t/denied.csv")), failure_of(store_.map("t/denied.csv"))}) {
    EXPECT_EQ(error.kind, ErrorKind::Unreadable) << error.describe();
    EXPECT_NE(error.message.find(std::strerror(EACCES)), std::string::npos) << error.message;
    expect_named_by_key(error, "t/denied.csv");
  }
}

}  // namespace
}  // namespace apex
