#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "storage/file_error.h"
#include "storage/local_store.h"
#include "storage/memory_store.h"
#include "storage/open_beneath.h"

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

// A link inside the tree is listed under its own name and reads as its target; one that leads
// out of the data folder (to another user's file, to /etc) is neither listed nor read.
TEST_F(LocalStoreFiles, ALinkInsideTheTreeIsListedAndOneLeadingOutIsNot) {
  const std::filesystem::path outside = root_.string() + "-outside";
  std::filesystem::create_directories(outside);
  ASSERT_TRUE(LocalStore(outside).write_all("x.csv", "outside"));
  ASSERT_TRUE(store_.write_all("t/real.csv", "inside"));
  std::filesystem::create_symlink(outside / "x.csv", root_ / "t" / "linked.csv");
  std::filesystem::create_symlink("real.csv", root_ / "t" / "alias.csv");
  std::filesystem::create_symlink("../../" + outside.filename().string() + "/x.csv",
                                  root_ / "t" / "relative.csv");
  auto listing = store_.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  std::vector<std::string> keys;
  for (const auto& object : listing->objects) keys.push_back(object.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"t/alias.csv", "t/real.csv"}));
  EXPECT_EQ(store_.read_all("t/alias.csv").value_or(""), "inside");
  for (const std::string key : {"t/linked.csv", "t/relative.csv"}) {
    const Error error = failure_of(store_.read_all(key));
    EXPECT_EQ(error.kind, ErrorKind::NotFound) << error.describe();
    expect_named_by_key(error, key);
    EXPECT_FALSE(store_.stat(key)) << key;
  }
  std::filesystem::remove_all(outside);
}

// The kernel, not an earlier check, keeps the open inside the folder: a link that leads out
// (relative, absolute, through a linked folder, or "..") is refused however it got there,
// and an absolute link that ends inside the folder is still followed.
TEST_F(LocalStoreFiles, OpenBeneathStaysInsideTheFolder) {
  namespace fs = std::filesystem;
  const fs::path outside = root_.string() + "-beneath-outside";
  fs::create_directories(outside);
  ASSERT_TRUE(LocalStore(outside).write_all("x.csv", "outside"));
  ASSERT_TRUE(store_.write_all("t/real.csv", "inside"));
  fs::create_symlink(outside / "x.csv", root_ / "t" / "absolute-out.csv");
  fs::create_symlink("../../" + outside.filename().string() + "/x.csv", root_ / "t" / "relative-out.csv");
  fs::create_symlink(outside, root_ / "t" / "folder-out");
  fs::create_symlink(fs::absolute(root_ / "t" / "real.csv"), root_ / "t" / "absolute-in.csv");
  auto content_of = [&](const fs::path& inside) -> std::string {
    const int fd = open_beneath(root_, inside);
    if (fd < 0) return "errno " + std::to_string(errno);
    char buffer[64];
    const auto n = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    return std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  };
  EXPECT_EQ(content_of("t/real.csv"), "inside");
  EXPECT_EQ(content_of("t/absolute-in.csv"), "inside");
  const std::string refused = "errno " + std::to_string(EXDEV);
  const std::vector<fs::path> leading_out = {"t/absolute-out.csv", "t/relative-out.csv", "t/folder-out/x.csv",
                                             fs::path("..") / outside.filename() / "x.csv"};
  for (const fs::path& out : leading_out) EXPECT_EQ(content_of(out), refused) << out;
  EXPECT_EQ(content_of("t/missing.csv"), "errno " + std::to_string(ENOENT));
  fs::remove_all(outside);
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

// Runs `body` in a child process that has given up root's right to read any file (the tests
// run as root, which reads any mode); what it returned, or nullopt when that could not be set up.
// The first byte of what the child sends when it could not give up the override.
constexpr char kSetupFailed = '\x01';

std::optional<std::string> without_file_access_override(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    ::close(fds[0]);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    std::string out = std::string(1, kSetupFailed) + "cannot drop capabilities";
    if (::syscall(SYS_capget, &header, data) == 0) {
      for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) data[0].effective &= ~(1u << cap);
      if (::syscall(SYS_capset, &header, data) == 0) out = body();
    }
    const bool written = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
    ::_exit(written ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out.starts_with(kSetupFailed)) return std::nullopt;
  return out;
}

// Permission denied, which a service account meets on a file another user owns: a mode-000
// file read without the right to read any file.
TEST_F(LocalStoreFiles, PermissionDeniedIsUnreadableAndNamesTheKey) {
  ASSERT_TRUE(store_.write_all("t/denied.csv", "secret"));
  std::filesystem::permissions(root_ / "t" / "denied.csv", std::filesystem::perms::none,
                               std::filesystem::perm_options::replace);
  ASSERT_TRUE(store_.stat("t/denied.csv")) << "listed like any file: stat needs no read permission";
  // Each failure as "kind|message" lines, from the child.
  auto report = without_file_access_override([this] {
    std::string out;
    for (const Error& error :
         {failure_of(store_.read_all("t/denied.csv")), failure_of(store_.map("t/denied.csv"))})
      out += std::string(to_string(error.kind)) + "|" + error.message + "\n";
    return out;
  });
  if (!report) GTEST_SKIP() << "this process cannot give up its file access override";
  std::istringstream lines(*report);
  int checked = 0;
  for (std::string line; std::getline(lines, line); ++checked) {
    const auto bar = line.find('|');
    ASSERT_NE(bar, std::string::npos) << line;
    EXPECT_EQ(line.substr(0, bar), to_string(ErrorKind::Unreadable)) << line;
    Error error{ErrorKind::Unreadable, line.substr(bar + 1)};
    EXPECT_NE(error.message.find(std::strerror(EACCES)), std::string::npos) << error.message;
    expect_named_by_key(error, "t/denied.csv");
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace
}  // namespace apex
