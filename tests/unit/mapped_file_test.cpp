// MappedFile: a file's bytes in place, and what happens when the file is cut short while
// mapped (the SIGBUS guard turns a crash into zeros and a damaged() flag).
#include "storage/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "storage/forwarding_store.h"
#include "storage/local_store.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("apex-mapped-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(MappedFile, HoldsTheFileBytes) {
  const fs::path dir = fresh_dir("bytes");
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes += std::to_string(i) + ",";
  write(dir / "a.csv", bytes);
  auto mapped = MappedFile::open(dir / "a.csv");
  ASSERT_TRUE(mapped) << mapped.error().describe();
  ASSERT_TRUE(*mapped);
  EXPECT_EQ((*mapped)->bytes(), bytes);
  EXPECT_FALSE((*mapped)->damaged());

  write(dir / "empty.csv", "");
  auto empty = MappedFile::open(dir / "empty.csv");
  ASSERT_TRUE(empty && *empty);
  EXPECT_TRUE((*empty)->bytes().empty());

  auto missing = MappedFile::open(dir / "nope.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  EXPECT_NE(missing.error().message.find("nope.csv"), std::string::npos);
  fs::remove_all(dir);
}

// Resident kB of the mapping that holds address, from /proc/self/smaps (0 when not found).
long resident_kb_of_mapping(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
  }
  return 0;
}

TEST(MappedFile, DroppedPagesLeaveTheMappingAndReadTheSameAgain) {
  const fs::path dir = fresh_dir("drop");
  std::string bytes;
  for (int i = 0; i < 400000; ++i) bytes += std::to_string(i) + ",";  // 2.6 MB
  write(dir / "a.csv", bytes);
  auto mapped = MappedFile::open(dir / "a.csv");
  ASSERT_TRUE(mapped && *mapped);
  const MappedFile& file = **mapped;
  ASSERT_EQ(file.bytes(), bytes);  // every page read, so mapped
  const long read_kb = resident_kb_of_mapping(file.bytes().data());
  EXPECT_GT(read_kb, 2000);

  // The first half, then the rest (which ends the file): nothing of the mapping stays.
  const std::size_t half = bytes.size() / 2;
  file.drop_pages(file.bytes().substr(0, half));
  const long half_kb = resident_kb_of_mapping(file.bytes().data());
  EXPECT_LT(half_kb, read_kb * 3 / 4);
  file.drop_pages(file.bytes().substr(half));
  EXPECT_LT(resident_kb_of_mapping(file.bytes().data()), 8);  // at most the page across half
  file.drop_pages(std::string_view(bytes).substr(0, 100));    // not a view into the mapping: ignored

  EXPECT_EQ(file.bytes(), bytes);  // read back from the page cache
  EXPECT_FALSE(file.damaged());
  fs::remove_all(dir);
}

// `cp` over a file truncates it first: a reader of the old mapping must not crash.
TEST(MappedFile, ATruncatedFileReadsAsZerosAndSaysSo) {
  const fs::path dir = fresh_dir("truncated");
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::string bytes(static_cast<std::size_t>(page) * 5, 'x');
  write(dir / "t.csv", bytes);
  auto mapped = MappedFile::open(dir / "t.csv");
  ASSERT_TRUE(mapped && *mapped);
  fs::resize_file(dir / "t.csv", static_cast<std::uintmax_t>(page));
  const std::string_view view = (*mapped)->bytes();
  ASSERT_EQ(view.size(), bytes.size()) << "the mapping keeps its length";
  EXPECT_EQ(view[0], 'x') << "the part still in the file";
  EXPECT_EQ(view[static_cast<std::size_t>(page) * 3], '\0') << "past the new end: zeros, no SIGBUS";
  EXPECT_EQ(view.back(), '\0');
  EXPECT_TRUE((*mapped)->damaged());
  fs::remove_all(dir);
}

// A LocalStore whose file is cut short right after it is mapped, as if replaced in place
// at the worst moment.
class TruncatingStore final : public ForwardingStore {
 public:
  TruncatingStore(LocalStore& inner, fs::path root, std::uintmax_t keep)
      : ForwardingStore(inner), root_(std::move(root)), keep_(keep) {}
  Result<std::unique_ptr<MappedFile>> map(std::string_view key) override {
    auto mapped = inner_.map(key);
    fs::resize_file(root_ / std::string(key), keep_);
    return mapped;
  }

 private:
  fs::path root_;
  std::uintmax_t keep_;
};

TEST(MappedFile, TelemetryFromATruncatedMappingIsAnErrorNamingTheFile) {
  const fs::path dir = fresh_dir("telemetry");
  std::string csv = "vehicle_id,timestamp,telemetry_name,telemetry_value\n";
  for (int i = 0; i < 20000; ++i)
    csv += "GR86-1-1,2025-07-18T16:03:" + std::to_string(10 + i % 40) + ".000Z,speed," + std::to_string(i) +
           "\n";
  write(dir / "tel.csv", csv);
  LocalStore store(dir);
  auto whole = load_telemetry(store, "tel.csv");
  ASSERT_TRUE(whole) << whole.error().describe();
  EXPECT_EQ(whole->report.parse.rows, 20000u);

  TruncatingStore cut(store, dir, 4096);
  auto damaged = load_telemetry(cut, "tel.csv");
  ASSERT_FALSE(damaged) << "zeros read in place of the lost part are never a result";
  EXPECT_EQ(damaged.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(damaged.error().message.find("tel.csv"), std::string::npos) << damaged.error().message;
  EXPECT_NE(damaged.error().message.find("truncated"), std::string::npos) << damaged.error().message;
  fs::remove_all(dir);
}

TEST(MappedFileDeathTest, ASigbusOutsideEveryMappingStillEndsTheProcess) {
  const fs::path dir = fresh_dir("death");
  write(dir / "a.csv", "abc");
  auto mapped = MappedFile::open(dir / "a.csv");  // installs the guard
  ASSERT_TRUE(mapped && *mapped);
  EXPECT_DEATH(std::raise(SIGBUS), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace apex
