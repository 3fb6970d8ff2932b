// MappedFile: a file's bytes in place, and what happens when the file is cut short while
// mapped (the SIGBUS guard turns a crash into zeros and a damaged() flag) or written to
// (changed(), and the telemetry loader reads it again).
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

// Sets the file's times an hour back, so that the next write surely moves them (the file
// clock ticks every few milliseconds; a write in the same tick as the last change would not).
void age(const fs::path& path) {
  fs::last_write_time(path, fs::last_write_time(path) - std::chrono::hours(1));
}

// Writes bytes over the start of the file, in place: same file, same length.
void write_in_place(const fs::path& path, const std::string& bytes) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(MappedFile, AFileWrittenToInPlaceSaysSo) {
  const fs::path dir = fresh_dir("written");
  write(dir / "a.csv", std::string(10000, 'a'));
  age(dir / "a.csv");
  auto mapped = MappedFile::open(dir / "a.csv");
  ASSERT_TRUE(mapped && *mapped);
  EXPECT_FALSE((*mapped)->changed());
  write_in_place(dir / "a.csv", "bbbb");
  EXPECT_EQ((*mapped)->bytes().substr(0, 5), "bbbba") << "the mapping is the file: the write shows through";
  EXPECT_TRUE((*mapped)->changed());
  EXPECT_FALSE((*mapped)->damaged());

  // A file renamed over the path is another file: the mapping still holds the old one whole
  // (changed() says yes all the same: the old file's ctime moves as it loses its name).
  write(dir / "b.csv", std::string(10000, 'b'));
  age(dir / "b.csv");
  auto renamed = MappedFile::open(dir / "b.csv");
  ASSERT_TRUE(renamed && *renamed);
  write(dir / "new.csv", std::string(10000, 'n'));
  fs::rename(dir / "new.csv", dir / "b.csv");
  EXPECT_EQ((*renamed)->bytes(), std::string(10000, 'b'));
  fs::remove_all(dir);
}

// A LocalStore whose file is written to in place right after it is mapped, the first
// `times` times: what a reader of the mapping gets is the old version's first bytes, if it
// was quick, and the new version's after.
class RewritingStore final : public ForwardingStore {
 public:
  RewritingStore(LocalStore& inner, fs::path root, std::string new_bytes, int times)
      : ForwardingStore(inner), root_(std::move(root)), new_bytes_(std::move(new_bytes)), times_(times) {}
  Result<std::unique_ptr<MappedFile>> map(std::string_view key) override {
    ++maps;
    if (times_ == 0) return inner_.map(key);
    --times_;
    age(root_ / std::string(key));
    auto mapped = inner_.map(key);
    write_in_place(root_ / std::string(key), new_bytes_);
    return mapped;
  }
  int maps = 0;

 private:
  fs::path root_;
  std::string new_bytes_;
  int times_;
};

std::string telemetry_csv(const std::string& vehicle) {
  std::string csv = "vehicle_id,timestamp,telemetry_name,telemetry_value\n";
  for (int i = 0; i < 20000; ++i)
    csv += vehicle + ",2025-07-18T16:03:" + std::to_string(10 + i % 40) + ".000Z,speed," + std::to_string(i) +
           "\n";
  return csv;
}

TEST(MappedFile, TelemetryWrittenToWhileParsedIsReadAgainAsItIsNow) {
  const fs::path dir = fresh_dir("rewritten");
  const std::string old_csv = telemetry_csv("GR86-1-1");
  const std::string new_csv = telemetry_csv("GR87-1-1");
  ASSERT_EQ(old_csv.size(), new_csv.size());
  write(dir / "tel.csv", old_csv);
  LocalStore store(dir);

  RewritingStore once(store, dir, new_csv, 1);
  auto loaded = load_telemetry(once, "tel.csv");
  ASSERT_TRUE(loaded) << loaded.error().describe();
  EXPECT_EQ(once.maps, 2) << "the parse of the file being written to is dropped and the file read again";
  ASSERT_EQ(loaded->vehicles.size(), 1u);
  EXPECT_EQ(loaded->vehicles.front().vehicle_id, "GR87-1-1") << "the new version, whole";

  write(dir / "tel.csv", old_csv);
  RewritingStore always(store, dir, new_csv, 10);
  auto failed = load_telemetry(always, "tel.csv");
  ASSERT_FALSE(failed) << "written to on every read: never an answer";
  EXPECT_EQ(failed.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(failed.error().message.find("tel.csv' was written to while being read"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(always.maps, 2);
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
