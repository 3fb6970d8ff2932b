// The sync decisions of apex upload/download and the wording of their progress output.
#include "sync/upload_planner.h"

#include <gtest/gtest.h>

#include "sync/progress_reporter.h"

namespace apex::sync {
namespace {

const std::string kMd5 = "5eb63bbbe01eeed093cb22bb8f5acdc3";  // md5("hello world")

TEST(UploadPlanner, NewOrResizedFilesAreSent) {
  EXPECT_EQ(decide(11, kMd5, nullptr, false), SyncDecision::Transfer);
  ObjectInfo remote{"a.csv", 12, kMd5};
  EXPECT_EQ(decide(11, kMd5, &remote, false), SyncDecision::Transfer);
}

TEST(UploadPlanner, SameSizeAndMd5EtagIsSkipped) {
  ObjectInfo remote{"a.csv", 11, kMd5};
  EXPECT_EQ(decide(11, kMd5, &remote, false), SyncDecision::Skip);
  EXPECT_EQ(decide(11, kMd5, &remote, true), SyncDecision::Transfer) << "--force sends everything";
}

TEST(UploadPlanner, SameSizeOtherEtagAsksForMetadata) {
  ObjectInfo multipart{"a.csv", 11, "0123456789abcdef0123456789abcdef-3"};
  EXPECT_EQ(decide(11, kMd5, &multipart, false), SyncDecision::NeedsHead);
  ObjectInfo changed{"a.csv", 11, "0123456789abcdef0123456789abcdef"};
  EXPECT_EQ(decide(11, kMd5, &changed, false), SyncDecision::NeedsHead);
}

TEST(UploadPlanner, AHeadIsComparedByTheBestHashItCarries) {
  const std::string sha = std::string(64, 'a');
  auto both = remote_hash({{"md5", kMd5}, {"sha256", sha}}, kMd5);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->algorithm, DigestAlgorithm::Sha256) << "large files of earlier versions carry a SHA-256";
  EXPECT_EQ(both->hex, sha);
  const std::string xxh = std::string(32, 'b');
  auto all = remote_hash({{"md5", kMd5}, {"sha256", sha}, {"xxh128", xxh}}, kMd5);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->algorithm, DigestAlgorithm::Xxh128) << "large files carry an XXH3-128";
  EXPECT_EQ(all->hex, xxh);
  auto md5 = remote_hash({{"md5", kMd5}}, "0123456789abcdef0123456789abcdef-3");
  ASSERT_TRUE(md5);
  EXPECT_EQ(md5->algorithm, DigestAlgorithm::Md5);
  EXPECT_EQ(md5->hex, kMd5);
  auto etag = remote_hash({}, kMd5);
  ASSERT_TRUE(etag) << "an object another tool sent in one PUT";
  EXPECT_EQ(etag->hex, kMd5);
  EXPECT_FALSE(remote_hash({}, "0123456789abcdef0123456789abcdef-3")) << "nothing to compare: send it";
  EXPECT_FALSE(remote_hash({{"md5", ""}}, "opaque"));
}

TEST(UploadPlanner, DeletesOnlyWhatIsGoneLocally) {
  Listing remote;
  remote.objects = {{"a.csv", 1, ""}, {"b/c.csv", 1, ""}, {"z.csv", 1, ""}};
  EXPECT_EQ(keys_to_delete({"a.csv", "z.csv"}, remote), (std::vector<std::string>{"b/c.csv"}));
  EXPECT_TRUE(keys_to_delete({"a.csv", "b/c.csv", "z.csv"}, remote).empty());
}

// A local path that could not be read keeps its objects: its own key and the folder under
// it, not a sibling that merely starts with the same letters.
TEST(UploadPlanner, NeverDeletesUnderAPathThatCouldNotBeRead) {
  Listing remote;
  remote.objects = {{"b", 1, ""}, {"b/c.csv", 1, ""}, {"b/sub/d.csv", 1, ""}, {"bb/e.csv", 1, ""}};
  EXPECT_EQ(keys_to_delete({}, remote, {"b"}), (std::vector<std::string>{"bb/e.csv"}));
  EXPECT_TRUE(keys_to_delete({}, remote, {""}).empty()) << "an unreadable root keeps everything";
  EXPECT_TRUE(is_at_or_under("b/c.csv", "b"));
  EXPECT_FALSE(is_at_or_under("bb/e.csv", "b"));
}

TEST(UploadPlanner, NamesTheTopLevelFoldersADeleteWouldEmpty) {
  Listing remote;
  remote.objects = {{"R1.csv", 1, ""},       {"barber/a.csv", 1, ""}, {"barber/Race 1/b.csv", 1, ""},
                    {"sonoma/c.csv", 1, ""}, {"sonoma/d.csv", 1, ""}, {"vir/e.csv", 1, ""}};
  auto emptied = folders_emptied({"R1.csv", "barber/a.csv", "barber/Race 1/b.csv", "sonoma/c.csv"}, remote);
  ASSERT_EQ(emptied.size(), 1u) << "sonoma keeps d.csv; a loose object is no folder";
  EXPECT_EQ(emptied[0].folder, "barber/");
  EXPECT_EQ(emptied[0].objects, 2u);
  EXPECT_TRUE(folders_emptied({}, remote).empty());
}

// A part is reused only when its size is this run's and its ETag is the MD5 of the local
// bytes at its place; anything else means the upload is aborted and the file sent afresh.
TEST(UploadPlanner, StoredPartsAreReusedOnlyWhenTheyHoldTheLocalBytes) {
  // The local file's parts hash to "aaa...", "bbb...", "ccc..." (one letter per 10 bytes).
  auto md5_of = [](std::uint64_t offset, std::size_t) -> Result<std::string> {
    return std::string(32, static_cast<char>('a' + offset / 10));
  };
  const std::string part1(32, 'a'), part2(32, 'b');
  auto ok = check_stored_parts({{1, 10, part1}, {2, 10, part2}}, 10, 25, md5_of);
  EXPECT_TRUE(ok.problem.empty()) << ok.problem;
  EXPECT_EQ(ok.etags, (std::vector<std::string>{part1, part2, ""}));
  EXPECT_EQ(ok.parts_reused, 2u);
  EXPECT_NE(check_stored_parts({{2, 10, part1}}, 10, 25, md5_of).problem.find("part 2 differs"),
            std::string::npos);
  EXPECT_NE(check_stored_parts({{1, 8, part1}}, 10, 25, md5_of).problem.find("holds 8 bytes"),
            std::string::npos);
  EXPECT_NE(check_stored_parts({{4, 10, part1}}, 10, 25, md5_of).problem.find("beyond"), std::string::npos);
  EXPECT_NE(check_stored_parts({{1, 10, part1 + "-2"}}, 10, 25, md5_of).problem.find("not an MD5"),
            std::string::npos);
  EXPECT_FALSE(check_stored_parts({}, 10, 25, md5_of).problem.empty());
}

TEST(UploadPlanner, ContentTypeByExtension) {
  EXPECT_EQ(content_type_for("barber/R1_lap_time.csv"), "text/csv");
  EXPECT_EQ(content_type_for("x/Results.CSV"), "text/csv");
  EXPECT_EQ(content_type_for("doc.pdf"), "application/pdf");
  EXPECT_EQ(content_type_for("a.json"), "application/json");
  EXPECT_EQ(content_type_for("Race 1/no_extension"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.csv/.hidden"), "application/octet-stream");
}

TEST(UploadPlanner, PartSizeRespectsLimits) {
  constexpr std::uint64_t MiB = 1024 * 1024;
  EXPECT_EQ(part_size_for(100 * MiB, 8 * MiB), 8 * MiB);
  EXPECT_EQ(part_size_for(100 * MiB, 1 * MiB), 5 * MiB) << "S3's minimum part";
  const std::uint64_t huge = 200'000 * MiB;  // would need 25,000 parts of 8 MiB
  const std::uint64_t size = part_size_for(huge, 8 * MiB);
  EXPECT_LE((huge + size - 1) / size, 10'000u);
  EXPECT_EQ(size % (5 * MiB), 0u);
}

TEST(ProgressFormat, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(5 * 1024 * 1024), "5.0 MiB");
  EXPECT_EQ(format_bytes(200ull * 1024 * 1024), "200.0 MiB");
  EXPECT_EQ(format_bytes(3ull * 1024 * 1024 * 1024), "3.00 GiB");
}

TEST(ProgressFormat, Durations) {
  EXPECT_EQ(format_duration(0.42), "0.4s");
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(ProgressFormat, LiveLineHasBarCountsRateAndEta) {
  ProgressSnapshot s;
  s.files_done = 12;
  s.files_total = 200;
  s.bytes_done = 50ull * 1024 * 1024;
  s.bytes_total = 200ull * 1024 * 1024;
  s.bytes_sent = 50ull * 1024 * 1024;
  s.seconds = 5;
  std::string line = format_progress_line(s, 200);
  EXPECT_EQ(line, "[#####...............]  25%  12/200 files  50.0 MiB/200.0 MiB  10.0 MiB/s  ETA 15s");
  EXPECT_EQ(format_progress_line(s, 30).size(), 30u) << "never wider than the terminal";
  s.files_done = 200;
  s.bytes_done = s.bytes_total;
  EXPECT_EQ(format_progress_line(s, 200).find("ETA"), std::string::npos);
}

TEST(ProgressFormat, FileLinesAndSummary) {
  EXPECT_EQ(format_file_line("uploaded", FileResult::Transferred, "s3://b/data/a b.csv", 1536, ""),
            "uploaded s3://b/data/a b.csv (1.5 KiB)");
  EXPECT_EQ(format_file_line("uploaded", FileResult::Skipped, "s3://b/data/x", 1, ""),
            "skipped s3://b/data/x (unchanged)");
  EXPECT_EQ(format_file_line("uploaded", FileResult::Failed, "s3://b/data/x", 0, "unavailable: 503"),
            "FAILED s3://b/data/x: unavailable: 503");
  TransferSummary summary;
  summary.transferred = 3;
  summary.skipped = 2;
  summary.failed = 1;
  summary.bytes_sent = 3 * 1024 * 1024;
  summary.seconds = 2;
  summary.first_errors = {"s3://b/data/x: unavailable: 503"};
  EXPECT_EQ(format_summary(summary, "uploaded"),
            "uploaded: 3 files, 2 skipped (unchanged), 1 failed; 3.0 MiB in 2.0s (1.5 MiB/s)\n"
            "errors:\n  s3://b/data/x: unavailable: 503\n");
  // A dry run's deletions are what it would delete: worded as its uploads are.
  EXPECT_EQ(format_file_line("would upload", FileResult::Deleted, "s3://b/data/x", 0, ""),
            "deleted s3://b/data/x");
  EXPECT_EQ(format_file_line("would upload", FileResult::WouldDelete, "s3://b/data/x", 0, ""),
            "would delete s3://b/data/x");
  TransferSummary dry;
  dry.skipped = 1;
  dry.deleted = 1;
  dry.dry_run = true;
  EXPECT_EQ(format_summary(dry, "would upload"),
            "dry run, would upload: 0 files, 1 skipped (unchanged), 0 failed, would delete 1; 0 B in 0.0s (0 "
            "B/s)\n");
  dry.dry_run = false;
  EXPECT_NE(format_summary(dry, "uploaded").find(", 1 deleted;"), std::string::npos);
  summary.interrupted = true;
  summary.not_started = 4;
  EXPECT_NE(format_summary(summary, "uploaded").find("interrupted"), std::string::npos);
  EXPECT_NE(format_summary(summary, "uploaded").find("4 not sent"), std::string::npos);
}

}  // namespace
}  // namespace apex::sync
