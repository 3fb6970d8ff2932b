// apex upload / apex download against s3rver on loopback, through a proxy that counts
// requests and injects failures: keys, byte-identical read-back (multipart included),
// sync (a second run sends nothing), retries, failures, exit codes and the output.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "captured_process.h"
#include "storage/content_digest.h"
#include "storage/s3_store.h"
#include "upload_test_support.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using apex::test::upload::run_apex;

constexpr const char* kUnset = "<unset>";

// "'path'" built by appending: g++ 12 -O3 reports a false -Warray-bounds on "'" + string.
std::string in_quotes(const fs::path& path) {
  std::string out = "'";
  out += path.string();
  out += '\'';
  return out;
}

std::string test_name() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

class UploadCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s3rver_ = std::make_unique<apex::test::upload::S3rver>();
    if (s3rver_->error.empty()) proxy_ = std::make_unique<apex::test::upload::FaultProxy>(s3rver_->port);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    s3rver_.reset();
  }
  void SetUp() override {
    if (!s3rver_->error.empty()) GTEST_FAIL() << s3rver_->error;
    proxy_->clear();
    proxy_->set_fault(nullptr);
    proxy_->refuse_acls(false);
    work_ = apex::test::upload::fresh_dir("apex-upload-" + test_name());
    tree_ = work_ / "tree";
    fs::create_directories(tree_);
  }
  void TearDown() override { fs::remove_all(work_); }

  // Every test writes under its own prefix so they can share the bucket.
  std::string prefix() const { return test_name() + "/data/"; }

  apex::test::upload::ApexRun apex(const std::string& args, std::map<std::string, std::string> env = {}) {
    auto base = apex::test::upload::s3rver_env(proxy_->endpoint());
    for (auto& [k, v] : env) {
      if (v == kUnset)
        base.erase(k);
      else
        base[k] = v;
    }
    return run_apex(args, base, work_);
  }
  apex::test::upload::ApexRun upload(const std::string& extra = {}) {
    return apex("upload " + apex::test::upload::quote_arg(tree_.string()) + " --prefix " +
                apex::test::upload::quote_arg(prefix()) + " --max-attempts 3 " + extra);
  }

  S3Store store() const {
    S3Settings s;
    s.bucket = apex::test::upload::kUploadBucket;
    s.access_key_id = "S3RVER";
    s.secret_access_key = "S3RVER";
    s.prefix = prefix();
    s.endpoint_url = s3rver_->endpoint();
    return S3Store(s);
  }

  std::map<std::string, std::string> local_tree() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(tree_))
      if (entry.is_regular_file())
        files[entry.path().lexically_relative(tree_).generic_string()] =
            apex::test::upload::read_file(entry.path());
    return files;
  }

  static inline std::unique_ptr<apex::test::upload::S3rver> s3rver_;
  static inline std::unique_ptr<apex::test::upload::FaultProxy> proxy_;
  fs::path work_;
  fs::path tree_;
};

TEST_F(UploadCli, UploadsReadBackExactlyAndASecondRunSendsNothing) {
  apex::test::upload::write_file(tree_ / "barber" / "R1_barber_lap_time.csv", "lap,time\n1,97.4\n");
  apex::test::upload::write_file(tree_ / "COTA" / "Race 1" / "Ünïcode résumé.csv", "a,b\n1,2\n");
  apex::test::upload::write_file(tree_ / "empty.txt", "");
  // Above the 5 MiB threshold given below: three parts, sent in parallel.
  apex::test::upload::write_file(tree_ / "big" / "telemetry.csv",
                                 apex::test::upload::random_bytes(11 * 1024 * 1024 + 123, 7));
  const auto files = local_tree();

  auto first = upload("--multipart-threshold 5 --part-size 5 --jobs 4");
  ASSERT_EQ(first.code, 0) << first.output;
  // Without a terminal: one line per file, then the summary.
  for (const auto& [key, bytes] : files)
    EXPECT_NE(first.output.find("uploaded s3://apex-test/" + prefix() + key + " ("), std::string::npos)
        << key << "\n"
        << first.output;
  EXPECT_NE(first.output.find("uploaded: 4 files, 0 skipped (unchanged), 0 failed"), std::string::npos)
      << first.output;
  EXPECT_EQ(first.output.find('\r'), std::string::npos) << "no live line without a terminal";
  EXPECT_EQ(proxy_->count("PUT", "partNumber=3"), 1u) << "the big file went up in three parts";
  EXPECT_EQ(proxy_->count("PUT", "partNumber=4"), 0u);

  auto s3 = store();
  auto listing = s3.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  std::set<std::string> keys;
  for (const auto& object : listing->objects) keys.insert(object.key);
  std::set<std::string> expected;
  for (const auto& [key, bytes] : files) expected.insert(key);
  EXPECT_EQ(keys, expected);
  for (const auto& [key, bytes] : files) {
    auto back = s3.read_all(key);
    ASSERT_TRUE(back) << key << ": " << back.error().describe();
    EXPECT_TRUE(*back == bytes) << key << " differs";
    auto head = s3.head(key);
    ASSERT_TRUE(head);
    // What a later run compares by: MD5 for small files, XXH3-128 for large (streamed) ones.
    if (bytes.size() > 5 * 1024 * 1024)
      EXPECT_EQ(head->metadata["xxh128"], apex::test::upload::xxh128_hex(bytes)) << key;
    else
      EXPECT_EQ(head->metadata["md5"], md5_hex(bytes)) << key;
  }
  EXPECT_EQ(s3.head("barber/R1_barber_lap_time.csv")->content_type, "text/csv");

  proxy_->clear();
  auto second = upload("--multipart-threshold 5 --part-size 5");
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u) << second.output;
  EXPECT_EQ(proxy_->count("POST"), 0u);
  EXPECT_NE(second.output.find("uploaded: 0 files, 4 skipped (unchanged), 0 failed"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("skipped s3://apex-test/" + prefix() + "barber/R1_barber_lap_time.csv"),
            std::string::npos);

  // Same size, other bytes: the hash, not the size, decides.
  apex::test::upload::write_file(tree_ / "barber" / "R1_barber_lap_time.csv", "lap,time\n1,98.4\n");
  proxy_->clear();
  auto third = upload("--multipart-threshold 5 --part-size 5");
  ASSERT_EQ(third.code, 0) << third.output;
  EXPECT_EQ(proxy_->count("PUT"), 1u) << third.output;
  EXPECT_EQ(proxy_->count("PUT", "R1_barber_lap_time.csv"), 1u);
  EXPECT_EQ(*s3.read_all("barber/R1_barber_lap_time.csv"), "lap,time\n1,98.4\n");

  // --force sends everything again.
  proxy_->clear();
  auto forced = upload("--force --multipart-threshold 5 --part-size 5");
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_NE(forced.output.find("uploaded: 4 files"), std::string::npos) << forced.output;
}

TEST_F(UploadCli, DryRunSendsNothingAndDeleteRemovesOnlyWhenAsked) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  apex::test::upload::write_file(tree_ / "sub" / "b.csv", "2");
  auto dry = upload("--dry-run");
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("would upload s3://apex-test/" + prefix() + "a.csv"), std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("dry run, would upload: 2 files"), std::string::npos) << dry.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u);

  ASSERT_EQ(upload().code, 0);
  fs::remove(tree_ / "sub" / "b.csv");
  auto kept = upload();
  ASSERT_EQ(kept.code, 0) << kept.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u);
  EXPECT_TRUE(store().stat("sub/b.csv")) << "nothing is deleted without --delete";

  // A dry run with --delete says what it would delete, claims no deletion, and deletes nothing
  // (it printed "deleted s3://..." and "1 deleted").
  proxy_->clear();
  auto dry_delete = upload("--delete --dry-run");
  ASSERT_EQ(dry_delete.code, 0) << dry_delete.output;
  EXPECT_NE(dry_delete.output.find("would delete s3://apex-test/" + prefix() + "sub/b.csv"),
            std::string::npos)
      << dry_delete.output;
  EXPECT_EQ(dry_delete.output.find("\ndeleted s3://"), std::string::npos) << dry_delete.output;
  EXPECT_NE(dry_delete.output.find("dry run, would upload: 0 files, 1 skipped (unchanged), 0 failed, would "
                                   "delete 1;"),
            std::string::npos)
      << dry_delete.output;
  EXPECT_EQ(dry_delete.output.find("1 deleted"), std::string::npos) << dry_delete.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u);
  EXPECT_TRUE(store().stat("sub/b.csv")) << "a dry run deletes nothing";

  // sub/ loses its only object, a whole top-level folder: that needs --yes without a terminal.
  auto deleted = upload("--delete --yes");
  ASSERT_EQ(deleted.code, 0) << deleted.output;
  EXPECT_NE(deleted.output.find("deleted s3://apex-test/" + prefix() + "sub/b.csv"), std::string::npos)
      << deleted.output;
  EXPECT_NE(deleted.output.find(", 1 deleted;"), std::string::npos) << deleted.output;
  EXPECT_FALSE(store().stat("sub/b.csv"));
  EXPECT_TRUE(store().stat("a.csv"));
}

// A local folder that cannot be read is not a folder that is gone: its objects stay, the
// path and the reason are reported, what could be read still goes up, and the exit code
// says the run was incomplete. Each way of being unreadable is tried in turn.
class UploadCliUnreadable : public UploadCli {
 protected:
  // trackA/a.csv, trackB/b.csv and trackB/sub/c.csv, uploaded; then a new file to send.
  void upload_two_tracks() {
    apex::test::upload::write_file(tree_ / "trackA" / "a.csv", "a");
    apex::test::upload::write_file(tree_ / "trackB" / "b.csv", "b");
    apex::test::upload::write_file(tree_ / "trackB" / "sub" / "c.csv", "c");
    auto first = upload();
    ASSERT_EQ(first.code, 0) << first.output;
    apex::test::upload::write_file(tree_ / "trackA" / "new.csv", "new");
    proxy_->clear();
  }
  // Runs upload with and without --delete; both report trackB and keep its objects.
  void expect_track_b_reported_and_kept(const std::string& reason) {
    for (const std::string extra : {"", "--delete"}) {
      auto run = upload(extra);
      EXPECT_EQ(run.code, 1) << extra << "\n" << run.output;
      EXPECT_NE(run.output.find("UNREADABLE " + (tree_ / "trackB").string() + ": " + reason),
                std::string::npos)
          << extra << "\n"
          << run.output;
      EXPECT_NE(run.output.find("nothing under s3://apex-test/" + prefix() + "trackB is deleted"),
                std::string::npos)
          << run.output;
      EXPECT_NE(run.output.find("1 unreadable"), std::string::npos) << run.output;
      EXPECT_EQ(run.output.find("deleted s3://"), std::string::npos) << run.output;
      EXPECT_EQ(proxy_->count("DELETE"), 0u) << extra;
      EXPECT_EQ(proxy_->count("POST", "?delete"), 0u) << extra;
      auto s3 = store();
      EXPECT_TRUE(s3.stat("trackB/b.csv")) << extra;
      EXPECT_TRUE(s3.stat("trackB/sub/c.csv")) << extra;
      auto sent = s3.read_all("trackA/new.csv");
      ASSERT_TRUE(sent) << "what could be read still goes up\n" << run.output;
      EXPECT_EQ(*sent, "new");
    }
  }
};

TEST_F(UploadCliUnreadable, ADanglingSymlinkInPlaceOfAFolderKeepsItsObjects) {
  upload_two_tracks();
  fs::remove_all(tree_ / "trackB");
  fs::create_directory_symlink(work_ / "unmounted-disk", tree_ / "trackB");
  expect_track_b_reported_and_kept("dangling symbolic link to '" + (work_ / "unmounted-disk").string() + "'");
}

TEST_F(UploadCliUnreadable, AFolderWithoutPermissionKeepsItsObjects) {
  upload_two_tracks();
  fs::permissions(tree_ / "trackB", fs::perms::none);
  std::error_code ec;
  fs::directory_iterator probe(tree_ / "trackB", ec);
  if (!ec) {
    fs::permissions(tree_ / "trackB", fs::perms::owner_all);
    GTEST_SKIP() << "running as uid " << ::geteuid()
                 << ", which reads a folder of mode 000 anyway; the dangling-link and FIFO variants and "
                    "TreeScanner.AFolderThatCannotBeListedIsReportedWithItsKeyAndReason cover this path";
  }
  expect_track_b_reported_and_kept("cannot list the folder: Permission denied");
  fs::permissions(tree_ / "trackB", fs::perms::owner_all);
}

TEST_F(UploadCliUnreadable, AFifoInPlaceOfAFileKeepsItsObject) {
  upload_two_tracks();
  fs::remove(tree_ / "trackA" / "a.csv");
  ASSERT_EQ(::mkfifo((tree_ / "trackA" / "a.csv").c_str(), 0600), 0);
  auto run = upload("--delete");
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find("UNREADABLE " + (tree_ / "trackA" / "a.csv").string() + ": not a regular file"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u) << run.output;
  auto kept = store().read_all("trackA/a.csv");
  ASSERT_TRUE(kept) << "the object of the FIFO's path was deleted\n" << run.output;
  EXPECT_EQ(*kept, "a");
}

// A prefix that is not a plain path is refused before any request, naming where it came
// from; --delete at the bucket's root (blank S3_PREFIX, `S3_PREFIX=` in .env, --prefix '')
// must be asked for by name, since it deletes everything else the bucket holds.
TEST_F(UploadCli, PrefixesThatEscapeOrAreBlankAreRefusedBeforeAnyRequest) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  const std::string dir = apex::test::upload::quote_arg(tree_.string());
  for (const std::string prefix : {"../", "data/../x/", "./", "/data/", "/"}) {
    auto run = apex("upload " + dir + " --delete --prefix " + apex::test::upload::quote_arg(prefix));
    EXPECT_EQ(run.code, 2) << prefix << "\n" << run.output;
    EXPECT_NE(run.output.find("apex: --prefix must not"), std::string::npos) << prefix << "\n" << run.output;
    auto variable = apex("upload " + dir + " --delete", {{"S3_PREFIX", prefix}});
    EXPECT_EQ(variable.code, 2) << prefix << "\n" << variable.output;
    EXPECT_NE(variable.output.find("configuration variable S3_PREFIX must not"), std::string::npos)
        << prefix << "\n"
        << variable.output;
  }
  auto control = apex("upload " + dir + " --prefix " + apex::test::upload::quote_arg("data\x1b[2J/"));
  EXPECT_EQ(control.code, 2) << control.output;
  EXPECT_NE(control.output.find("--prefix holds a control character at character 5"), std::string::npos)
      << control.output;

  const std::string refusal = "--delete with an empty prefix (";
  auto blank = apex("upload " + dir + " --delete", {{"S3_PREFIX", ""}});
  EXPECT_EQ(blank.code, 2) << blank.output;
  EXPECT_NE(blank.output.find(refusal + "S3_PREFIX is blank)"), std::string::npos) << blank.output;
  EXPECT_NE(blank.output.find("pass --delete-from-bucket-root if the whole bucket is meant"),
            std::string::npos)
      << blank.output;
  auto option = apex("upload " + dir + " --delete --prefix ''");
  EXPECT_EQ(option.code, 2) << option.output;
  EXPECT_NE(option.output.find(refusal + "--prefix is blank)"), std::string::npos) << option.output;
  apex::test::upload::write_file(work_ / ".env", "S3_PREFIX=\n");
  auto dotenv = apex("upload " + dir + " --delete");
  EXPECT_EQ(dotenv.code, 2) << dotenv.output;
  EXPECT_NE(dotenv.output.find(refusal + "S3_PREFIX is blank)"), std::string::npos) << dotenv.output;
  fs::remove(work_ / ".env");
  EXPECT_TRUE(proxy_->seen().empty()) << "refused before any request";
}

// Named explicitly, the root is a prefix like any other: in a bucket of its own, a stray
// object at the root is deleted and the tree lands at the root.
TEST_F(UploadCli, DeleteFromTheBucketRootWhenNamed) {
  const std::string script =
      "import boto3, sys\n"
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='S3RVER',"
      " aws_secret_access_key='S3RVER')\n"
      "s3.create_bucket(Bucket='apex-root-test')\n"
      "s3.put_object(Bucket='apex-root-test', Key='stray.txt', Body=b'stray')\n";
  apex::test::upload::write_file(work_ / "root_bucket.py", script);
  int code = -1;
  auto out = apex::test::run_command(
      "python3 " + (work_ / "root_bucket.py").string() + " " + s3rver_->endpoint() + " 2>&1", &code);
  ASSERT_EQ(code, 0) << out;
  apex::test::upload::write_file(tree_ / "track" / "a.csv", "a");
  auto run = apex("upload " + apex::test::upload::quote_arg(tree_.string()) +
                  " --bucket apex-root-test --prefix '' --delete --delete-from-bucket-root");
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("deleted s3://apex-root-test/stray.txt"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("uploaded s3://apex-root-test/track/a.csv"), std::string::npos) << run.output;
}

// Uploading one track's folder to the data prefix, as docs/aws-setup.md's one command per
// tree invites, maps its files to the prefix itself (as `aws s3 sync` does), so --delete
// would remove every other track: it stops first, names what would go and how to name the
// track, and goes ahead only with --yes. Without a terminal it never asks.
TEST_F(UploadCli, DeleteThatWouldEmptyATrackStopsUntilConfirmed) {
  apex::test::upload::write_file(tree_ / "barber" / "R1_lap_time.csv", "barber");
  apex::test::upload::write_file(tree_ / "sonoma" / "R1_lap_time.csv", "sonoma");
  apex::test::upload::write_file(tree_ / "sonoma" / "Race 2" / "R2_lap_time.csv", "sonoma 2");
  ASSERT_EQ(upload().code, 0);
  proxy_->clear();
  const std::string one_track = "upload " + apex::test::upload::quote_arg((tree_ / "barber").string()) +
                                " --prefix " + apex::test::upload::quote_arg(prefix()) + " --delete";
  auto stopped = apex(one_track);
  EXPECT_EQ(stopped.code, 2) << stopped.output;
  EXPECT_NE(stopped.output.find("--delete would delete 3 objects:\n  s3://apex-test/" + prefix() +
                                "barber/R1_lap_time.csv\n"),
            std::string::npos)
      << stopped.output;
  EXPECT_NE(stopped.output.find("it would delete every object of 2 folders under s3://apex-test/" + prefix() +
                                ": barber/ (1 object) sonoma/ (2 objects)"),
            std::string::npos)
      << stopped.output;
  EXPECT_NE(
      stopped.output.find("to sync only one track's folder, name the track in the prefix (e.g. --prefix " +
                          prefix() + "barber/)"),
      std::string::npos)
      << stopped.output;
  EXPECT_NE(stopped.output.find("not confirmed: nothing was uploaded or deleted"), std::string::npos)
      << stopped.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u) << "nothing uploaded either";
  EXPECT_EQ(proxy_->count("DELETE"), 0u);

  // Named as the message says, the track's folder syncs with its own objects only.
  auto named = apex("upload " + apex::test::upload::quote_arg((tree_ / "barber").string()) + " --prefix " +
                    apex::test::upload::quote_arg(prefix() + "barber/") + " --delete");
  EXPECT_EQ(named.code, 0) << named.output;
  EXPECT_NE(named.output.find("uploaded: 0 files, 1 skipped (unchanged), 0 failed"), std::string::npos)
      << named.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u);

  auto dry = apex(one_track + " --dry-run");
  EXPECT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("without --dry-run apex asks before deleting"), std::string::npos) << dry.output;

  auto confirmed = apex(one_track + " --yes");
  EXPECT_EQ(confirmed.code, 0) << confirmed.output;
  EXPECT_NE(confirmed.output.find(", 3 deleted;"), std::string::npos) << confirmed.output;
  EXPECT_FALSE(store().stat("sonoma/R1_lap_time.csv"));
  auto moved = store().read_all("R1_lap_time.csv");
  ASSERT_TRUE(moved) << confirmed.output;
  EXPECT_EQ(*moved, "barber");
}

TEST_F(UploadCli, DeleteOfMoreThanMaxDeleteStopsUntilConfirmed) {
  for (int i = 0; i < 4; ++i) apex::test::upload::write_file(tree_ / ("f" + std::to_string(i) + ".csv"), "x");
  apex::test::upload::write_file(tree_ / "keep.csv", "k");
  ASSERT_EQ(upload().code, 0);
  for (int i = 0; i < 4; ++i) fs::remove(tree_ / ("f" + std::to_string(i) + ".csv"));
  proxy_->clear();
  auto stopped = upload("--delete --max-delete 3");
  EXPECT_EQ(stopped.code, 2) << stopped.output;
  EXPECT_NE(stopped.output.find("it would delete 4 objects, more than --max-delete 3"), std::string::npos)
      << stopped.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u);
  auto within = upload("--delete --max-delete 4");
  EXPECT_EQ(within.code, 0) << within.output;
  EXPECT_NE(within.output.find(", 4 deleted;"), std::string::npos) << within.output;
}

// On a terminal the question is asked; anything but y keeps everything.
TEST_F(UploadCli, DeleteThatWouldEmptyATrackAsksOnATerminal) {
  int code = -1;
  apex::test::run_command("command -v script >/dev/null 2>&1", &code);
  if (code != 0) GTEST_SKIP() << "script (util-linux) is not installed";
  apex::test::upload::write_file(tree_ / "barber" / "a.csv", "a");
  apex::test::upload::write_file(tree_ / "sonoma" / "b.csv", "b");
  ASSERT_EQ(upload().code, 0);
  fs::remove_all(tree_ / "sonoma");
  auto env = apex::test::upload::s3rver_env(proxy_->endpoint());
  std::string inner = "env";
  for (auto& [k, v] : env) inner += " " + k + "=" + v;
  inner += " " + apex::test::apex_binary().string() + " upload " + tree_.string() + " --prefix " + prefix() +
           " --delete";
  for (const std::string answer : {"n", "y"}) {
    auto out = apex::test::run_command(
        "cd " + apex::test::upload::quote_arg(work_.string()) + " && (sleep 1; printf '" + answer +
            "\\n'; sleep 3) | script -qfec " + apex::test::upload::quote_arg(inner) + " /dev/null 2>&1",
        &code);
    EXPECT_NE(out.find("Delete them? [y/N]"), std::string::npos) << out;
    EXPECT_EQ(store().stat("sonoma/b.csv").has_value(), answer == "n") << answer << "\n" << out;
  }
}

TEST_F(UploadCli, RetriesAFlakyServerAndNamesTheFileThatNeverWentUp) {
  apex::test::upload::write_file(tree_ / "flaky.csv", "flaky bytes");
  apex::test::upload::write_file(tree_ / "doomed.csv", "doomed bytes");
  apex::test::upload::write_file(tree_ / "fine.csv", "fine bytes");
  apex::test::upload::write_file(tree_ / "big-flaky.bin",
                                 apex::test::upload::random_bytes(6 * 1024 * 1024, 3));
  proxy_->set_fault([](const std::string& method, const std::string& target, int n) {
    if (method != "PUT") return 0;
    if (target.find("doomed.csv") != std::string::npos) return 503;          // never recovers
    if (target.find("flaky.csv") != std::string::npos && n < 2) return 503;  // twice
    if (target.find("big-flaky.bin") != std::string::npos &&
        target.find("partNumber=2") != std::string::npos && n < 1)
      return 500;  // one part fails once
    return 0;
  });
  auto run = upload("--multipart-threshold 5 --part-size 5");
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find("FAILED s3://apex-test/" + prefix() + "doomed.csv"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("uploaded: 3 files, 0 skipped (unchanged), 1 failed"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("errors:\n  s3://apex-test/" + prefix() + "doomed.csv: unavailable"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(proxy_->count("PUT", "doomed.csv"), 3u) << "--max-attempts 3";
  EXPECT_EQ(proxy_->count("PUT", "/flaky.csv"), 3u);
  auto s3 = store();
  EXPECT_EQ(*s3.read_all("flaky.csv"), "flaky bytes");
  EXPECT_EQ(*s3.read_all("big-flaky.bin"), apex::test::upload::read_file(tree_ / "big-flaky.bin"));
  auto doomed = s3.stat("doomed.csv");
  ASSERT_FALSE(doomed) << "no object under the failed name";
  EXPECT_EQ(doomed.error().kind, ErrorKind::NotFound);

  // Once the server recovers, a re-run sends only what is missing.
  proxy_->set_fault(nullptr);
  proxy_->clear();
  auto again = upload("--multipart-threshold 5 --part-size 5");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(proxy_->count("PUT"), 1u) << again.output;
  EXPECT_EQ(*s3.read_all("doomed.csv"), "doomed bytes");
}

// A file too large to hold in memory (> 16 MiB) but under the multipart threshold goes up in
// one PUT streamed from disk, checked by the server against its CRC32C; a re-run compares
// its XXH3-128 after one HEAD, so an unchanged file is skipped and a same-size edit is sent
// again.
TEST_F(UploadCli, ALargeFileUnderTheThresholdGoesUpInOneStreamedPut) {
  // A random MiB repeated (generating 17 random MiB costs seconds under ASan).
  std::string big;
  const std::string block = apex::test::upload::random_bytes(1024 * 1024, 9);
  for (int i = 0; i < 17; ++i) big += block;
  big += "end";
  apex::test::upload::write_file(tree_ / "big.csv", big);
  auto first = upload("--multipart-threshold 32");
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(proxy_->count("PUT"), 1u);
  EXPECT_EQ(proxy_->count("POST"), 0u) << "not multipart";
  for (const auto& seen : proxy_->seen()) {
    if (seen.method == "PUT") {
      EXPECT_EQ(seen.checksum_crc32c, apex::test::upload::crc32c_header(big)) << "the checksum S3 verifies";
    }
  }
  auto s3 = store();
  EXPECT_TRUE(*s3.read_all("big.csv") == big);
  EXPECT_EQ(s3.head("big.csv")->metadata["xxh128"], apex::test::upload::xxh128_hex(big));

  proxy_->clear();
  auto again = upload("--multipart-threshold 32");
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u) << again.output;
  EXPECT_NE(again.output.find("uploaded: 0 files, 1 skipped (unchanged)"), std::string::npos) << again.output;

  big[big.size() / 2] = static_cast<char>(big[big.size() / 2] ^ 1);
  apex::test::upload::write_file(tree_ / "big.csv", big);
  proxy_->clear();
  auto changed = upload("--multipart-threshold 32");
  ASSERT_EQ(changed.code, 0) << changed.output;
  EXPECT_EQ(proxy_->count("PUT"), 1u) << "same size, other bytes: sent again\n" << changed.output;
  EXPECT_TRUE(*s3.read_all("big.csv") == big);
}

// Ctrl-C while a multipart upload is in flight: the part being sent finishes, the upload is
// aborted (s3rver cannot list open uploads, so the proxy counts AbortMultipartUpload
// requests), nothing else starts, the summary so far is printed with exit code 1, and a
// re-run sends only what did not complete.
TEST_F(UploadCli, InterruptAbortsTheMultipartUploadAndARerunSendsTheRest) {
  apex::test::upload::write_file(tree_ / "a.csv", "sent before the interrupt");
  std::string big;
  const std::string block = apex::test::upload::random_bytes(1024 * 1024, 5);
  for (int i = 0; i < 11; ++i) big += block;
  apex::test::upload::write_file(tree_ / "big.bin", big);
  apex::test::upload::write_file(tree_ / "c.csv", "never started");
  // Parts are held long enough that the interrupt surely lands while the first is in flight.
  proxy_->set_delay("partNumber=", std::chrono::milliseconds(500));
  // --jobs 1: files and parts go one after another (sorted: a.csv, big.bin, c.csv).
  apex::test::CapturedProcess run({"upload", tree_.string(), "--prefix", prefix(), "--multipart-threshold",
                                   "5", "--part-size", "5", "--jobs", "1"},
                                  apex::test::upload::s3rver_env(proxy_->endpoint()), work_ / "run");
  ASSERT_GT(run.pid(), 0);
  for (int i = 0;
       i < 3000 && proxy_->count("PUT", "partNumber=") == 0 && !run.wait(std::chrono::milliseconds(0)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(proxy_->count("PUT", "partNumber="), 1u) << run.output();
  ::kill(run.pid(), SIGINT);
  auto code = run.wait(std::chrono::seconds(60));
  ASSERT_TRUE(code) << "apex did not stop after Ctrl-C\n" << run.output();
  const std::string out = run.output();
  EXPECT_EQ(*code, 1) << out;
  EXPECT_NE(out.find("interrupted: stopped after the transfers in flight"), std::string::npos) << out;
  EXPECT_NE(out.find("uploaded: 1 file, 0 skipped (unchanged), 0 failed, 2 not sent"), std::string::npos)
      << out;
  EXPECT_NE(out.find("uploaded s3://apex-test/" + prefix() + "a.csv"), std::string::npos) << out;
  EXPECT_EQ(proxy_->count("PUT", "partNumber="), 1u) << "no part starts after the interrupt";
  EXPECT_EQ(proxy_->count("POST", "?uploads"), 1u);
  EXPECT_EQ(proxy_->count("POST", "?uploadId="), 0u) << "never completed";
  EXPECT_EQ(proxy_->count("DELETE", "?uploadId="), 1u) << "the open upload is aborted";
  EXPECT_EQ(proxy_->count("PUT", "c.csv"), 0u);
  auto s3 = store();
  EXPECT_FALSE(s3.stat("big.bin"));
  EXPECT_FALSE(s3.stat("c.csv"));

  proxy_->set_delay({}, std::chrono::milliseconds(0));
  proxy_->clear();
  auto again = upload("--multipart-threshold 5 --part-size 5");
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("uploaded: 2 files, 1 skipped (unchanged), 0 failed"), std::string::npos)
      << again.output;
  EXPECT_EQ(proxy_->count("PUT", "a.csv"), 0u);
  EXPECT_TRUE(*s3.read_all("big.bin") == big);
  EXPECT_EQ(*s3.read_all("c.csv"), "never started");
}

TEST_F(UploadCli, AclIsSentAndABucketRefusingAclsNeedsAclOptional) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  apex::test::upload::write_file(tree_ / "b.csv", "2");
  auto accepted = upload("--acl public-read");
  ASSERT_EQ(accepted.code, 0) << accepted.output;

  proxy_->refuse_acls(true);
  auto refused = upload("--acl public-read --force");
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("the bucket refuses ACLs: drop --acl, or add --acl-optional"),
            std::string::npos)
      << refused.output;

  auto optional = upload("--acl public-read --acl-optional --force");
  EXPECT_EQ(optional.code, 0) << optional.output;
  const std::string note = "note: the bucket refuses ACLs; sending without --acl public-read";
  ASSERT_NE(optional.output.find(note), std::string::npos) << optional.output;
  EXPECT_EQ(optional.output.find(note, optional.output.find(note) + 1), std::string::npos) << "said once";
  EXPECT_NE(optional.output.find("uploaded: 2 files"), std::string::npos) << optional.output;
}

TEST_F(UploadCli, MissingBucketIsExitTwoAndSendsNothing) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  auto run = apex("upload " + apex::test::upload::quote_arg(tree_.string()) + " --bucket no-such-bucket");
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("no-such-bucket"), std::string::npos) << run.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u);
  EXPECT_EQ(proxy_->count("POST"), 0u);
}

// Upload writes (and deletes with --delete): it never falls back to S3_BUCKET_NAME's default,
// and says so, where ls, serve and download read the default bucket.
TEST_F(UploadCli, NoBucketWithoutATerminalIsAClearError) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  auto run = apex("upload " + apex::test::upload::quote_arg(tree_.string()), {{"S3_BUCKET_NAME", kUnset}});
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("no bucket configured: pass --bucket NAME or set S3_BUCKET_NAME"),
            std::string::npos)
      << run.output;
  EXPECT_NE(
      run.output.find("upload does not write to the default bucket (apex-racing-data) unless it is named"),
      std::string::npos)
      << run.output;
  EXPECT_TRUE(proxy_->seen().empty());
}

// Download only reads, so without --bucket or S3_BUCKET_NAME it reads the README's default
// bucket, apex-racing-data, as `apex ls` does (it stopped: "no bucket configured", exit 2).
TEST_F(UploadCli, DownloadWithoutABucketReadsTheDefaultBucketAsLsDoes) {
  const std::string script =
      "import boto3, sys\n"
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='S3RVER',"
      " aws_secret_access_key='S3RVER')\n"
      "try:\n"
      "    s3.create_bucket(Bucket='apex-racing-data')\n"
      "except s3.exceptions.BucketAlreadyOwnedByYou:\n"
      "    pass\n"
      "s3.put_object(Bucket='apex-racing-data', Key=sys.argv[2] + 'track/a.csv', Body=b'default bucket')\n";
  apex::test::upload::write_file(work_ / "default_bucket.py", script);
  int code = -1;
  auto out = apex::test::run_command("python3 " + (work_ / "default_bucket.py").string() + " " +
                                         s3rver_->endpoint() + " " + apex::test::upload::quote_arg(prefix()) +
                                         " 2>&1",
                                     &code);
  ASSERT_EQ(code, 0) << out;
  const std::map<std::string, std::string> no_bucket = {{"S3_BUCKET_NAME", kUnset}, {"S3_PREFIX", prefix()}};
  auto listed = apex("ls", {{"S3_BUCKET_NAME", kUnset}, {"S3_PREFIX", prefix()}, {"USE_S3_DATA", "true"}});
  EXPECT_EQ(listed.code, 0) << listed.output;
  EXPECT_NE(listed.output.find("track/a.csv"), std::string::npos) << listed.output;
  const fs::path mirror = work_ / "mirror";
  auto run = apex("download " + apex::test::upload::quote_arg(mirror.string()), no_bucket);
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("from s3://apex-racing-data/" + prefix()), std::string::npos) << run.output;
  EXPECT_EQ(apex::test::upload::read_file(mirror / "track" / "a.csv"), "default bucket");
}

TEST_F(UploadCli, BadBucketOptionIsRefusedLikeTheVariable) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  const std::string rule = "is not a valid bucket name (3-63 lower-case letters, digits, '.', '-'): ";
  for (const std::string& command :
       std::vector<std::string>{"upload " + apex::test::upload::quote_arg(tree_.string()),
                                "download " + apex::test::upload::quote_arg((work_ / "mirror").string())}) {
    auto run = apex(command + " --bucket Bad_Name");
    EXPECT_EQ(run.code, 2) << command << "\n" << run.output;
    EXPECT_NE(run.output.find("--bucket " + rule + "'Bad_Name'"), std::string::npos) << run.output;
    auto variable = apex(command, {{"S3_BUCKET_NAME", "Bad_Bucket!"}});
    EXPECT_EQ(variable.code, 2) << command << "\n" << variable.output;
    EXPECT_NE(variable.output.find("S3_BUCKET_NAME " + rule + "'Bad_Bucket!'"), std::string::npos)
        << variable.output;
  }
  EXPECT_TRUE(proxy_->seen().empty()) << "refused before any request";
  EXPECT_FALSE(fs::exists(work_ / "mirror"));
}

// Empty or blank is unset, as for the other variables with a default (DATA_DIR, HOST,
// AWS_REGION, S3_ENDPOINT_URL): upload then has no bucket, and says so.
TEST_F(UploadCli, BlankBucketVariableIsNoBucket) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  for (const std::string value : {"", "  "}) {
    auto run = apex("upload " + apex::test::upload::quote_arg(tree_.string()), {{"S3_BUCKET_NAME", value}});
    EXPECT_EQ(run.code, 2) << "'" << value << "'\n" << run.output;
    EXPECT_NE(run.output.find("no bucket configured: pass --bucket NAME or set S3_BUCKET_NAME"),
              std::string::npos)
        << run.output;
  }
  EXPECT_TRUE(proxy_->seen().empty());
}

TEST_F(UploadCli, MissingCredentialsNameTheVariables) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  auto run = apex("upload " + apex::test::upload::quote_arg(tree_.string()),
                  {{"AWS_ACCESS_KEY_ID", kUnset}, {"AWS_SECRET_ACCESS_KEY", kUnset}});
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos) << run.output;
  EXPECT_TRUE(proxy_->seen().empty());
}

// script(1) gives apex a pseudo-terminal: the bucket is asked for, and progress is one
// line redrawn with carriage returns.
TEST_F(UploadCli, TerminalPromptsForTheBucketAndDrawsOneLiveLine) {
  int code = -1;
  apex::test::run_command("command -v script >/dev/null 2>&1", &code);
  if (code != 0) GTEST_SKIP() << "script (util-linux) is not installed";
  for (int i = 0; i < 30; ++i)
    apex::test::upload::write_file(tree_ / "f" / (std::to_string(i) + ".csv"), std::string(1000, 'x'));
  auto env = apex::test::upload::s3rver_env(proxy_->endpoint());
  env.erase("S3_BUCKET_NAME");
  std::string inner = "env -u S3_BUCKET_NAME";
  for (auto& [k, v] : env) inner += " " + k + "=" + v;
  inner += " " + apex::test::apex_binary().string() + " upload " + tree_.string() + " --prefix " + prefix();
  // The answer is typed after the prompt appears; script keeps the terminal open meanwhile.
  auto out = apex::test::run_command("cd " + apex::test::upload::quote_arg(work_.string()) +
                                         " && (sleep 1; printf 'apex-test\\n'; sleep 3) | script -qfec " +
                                         apex::test::upload::quote_arg(inner) + " /dev/null 2>&1",
                                     &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("none is configured"), std::string::npos) << out;
  EXPECT_NE(out.find("Bucket name: "), std::string::npos) << out;
  EXPECT_NE(out.find("\r["), std::string::npos) << "a redrawn progress line\n" << out;
  EXPECT_NE(out.find("30/30 files"), std::string::npos) << out;
  EXPECT_EQ(out.find("uploaded s3://"), std::string::npos) << "no per-file lines on a terminal\n" << out;
  EXPECT_NE(out.find("uploaded: 30 files"), std::string::npos) << out;
  EXPECT_EQ(store().list("", std::nullopt)->objects.size(), 30u);
}

TEST_F(UploadCli, Boto3ListsExactlyTheUploadedTree) {
  apex::test::upload::write_file(tree_ / "Road America" / "Race 2" / "R2 résultats (final).csv", "x");
  apex::test::upload::write_file(tree_ / "a" / "b" / "c" / "d.csv", "y");
  apex::test::upload::write_file(tree_ / "top.json", "{}");
  ASSERT_EQ(upload().code, 0);
  const std::string script =
      "import boto3, json, sys\n"
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='S3RVER',"
      " aws_secret_access_key='S3RVER')\n"
      "keys = [o['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket='apex-test', "
      "Prefix=sys.argv[2])"
      " for o in p.get('Contents', [])]\n"
      "print(json.dumps(sorted(keys)))\n";
  apex::test::upload::write_file(work_ / "list.py", script);
  int code = -1;
  auto out = apex::test::run_command("python3 " + (work_ / "list.py").string() + " " + s3rver_->endpoint() +
                                         " " + apex::test::upload::quote_arg(prefix()) + " 2>&1",
                                     &code);
  ASSERT_EQ(code, 0) << out;
  auto listed = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(listed.is_discarded()) << out;
  std::vector<std::string> expected;
  for (const auto& [key, bytes] : local_tree()) expected.push_back(prefix() + key);
  EXPECT_EQ(listed.get<std::vector<std::string>>(), expected);
}

TEST_F(UploadCli, DownloadMirrorsTheTreeAndSkipsWhatIsThere) {
  apex::test::upload::write_file(tree_ / "barber" / "Race 1" / "lap ü.csv", "laps");
  apex::test::upload::write_file(tree_ / "sonoma" / "x.csv", "xx");
  apex::test::upload::write_file(tree_ / "big.bin",
                                 apex::test::upload::random_bytes(6 * 1024 * 1024 + 5, 11));
  ASSERT_EQ(upload("--multipart-threshold 5 --part-size 5").code, 0);
  const fs::path mirror = work_ / "mirror";
  auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " +
                  apex::test::upload::quote_arg(mirror.string()));
  ASSERT_EQ(run.code, 0) << run.output;
  for (const auto& [key, bytes] : local_tree())
    EXPECT_TRUE(apex::test::upload::read_file(mirror / key) == bytes) << key;
  EXPECT_NE(run.output.find("downloaded: 3 files"), std::string::npos) << run.output;

  auto again = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " +
                    apex::test::upload::quote_arg(mirror.string()));
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("downloaded: 0 files, 3 skipped"), std::string::npos) << again.output;

  const fs::path part = work_ / "part";
  auto some = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " barber/ " +
                   apex::test::upload::quote_arg(part.string()));
  ASSERT_EQ(some.code, 0) << some.output;
  EXPECT_TRUE(fs::exists(part / "barber" / "Race 1" / "lap ü.csv"));
  EXPECT_FALSE(fs::exists(part / "sonoma"));
}

TEST_F(UploadCli, DownloadIntoAFileOrAnUncreatableFolderIsOneErrorAndExitTwo) {
  apex::test::upload::write_file(tree_ / "barber" / "a.csv", "a");
  apex::test::upload::write_file(tree_ / "sonoma" / "b.csv", "b");
  ASSERT_EQ(upload().code, 0);
  const fs::path file = work_ / "a-file";
  apex::test::upload::write_file(file, "mine");
  proxy_->clear();
  for (const fs::path& dir : {file, file / "below"}) {
    auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " +
                    apex::test::upload::quote_arg(dir.string()));
    EXPECT_EQ(run.code, 2) << run.output;
    EXPECT_NE(run.output.find(in_quotes(file) + " is not a folder"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("nothing was downloaded"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("FAILED"), std::string::npos) << "one message, not one per object\n"
                                                            << run.output;
  }
  EXPECT_TRUE(proxy_->seen().empty()) << "refused before asking the bucket anything";
  EXPECT_EQ(apex::test::upload::read_file(file), "mine");

  // A folder the system will not create (nothing can be made in /proc): its reason, once.
  const fs::path proc = "/proc/apex-download-test";
  auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " + proc.string());
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_NE(run.output.find("cannot create DIR " + in_quotes(proc) + ": No such file or directory"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("FAILED"), std::string::npos) << run.output;
  EXPECT_EQ(proxy_->count("GET"), 1u) << "the listing only";
}

TEST_F(UploadCli, DownloadFailuresOfSingleFilesSayWhy) {
  apex::test::upload::write_file(tree_ / "barber" / "a.csv", "a");
  apex::test::upload::write_file(tree_ / "sonoma" / "b.csv", "b");
  apex::test::upload::write_file(tree_ / "vir" / "c.csv", "c");
  ASSERT_EQ(upload().code, 0);
  const fs::path mirror = work_ / "mirror";
  // In the way: a file where a folder goes, a folder where the file goes.
  apex::test::upload::write_file(mirror / "sonoma", "not a folder");
  fs::create_directories(mirror / "vir" / "c.csv" / "mine");
  auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " +
                  apex::test::upload::quote_arg(mirror.string()));
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find("cannot create the folder " + in_quotes(mirror / "sonoma") + ": "),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("cannot move the downloaded file into place at " +
                            in_quotes(mirror / "vir" / "c.csv") + ": Is a directory"),
            std::string::npos)
      << run.output;
  EXPECT_TRUE(fs::exists(mirror / "vir" / "c.csv" / "mine"));
  for (const auto& entry : fs::recursive_directory_iterator(mirror))
    EXPECT_EQ(entry.path().filename().string().find(".apex-download"), std::string::npos)
        << "no temporary file is left behind: " << entry.path();
  EXPECT_EQ(apex::test::upload::read_file(mirror / "barber" / "a.csv"), "a") << "the others still come";
  EXPECT_EQ(apex::test::upload::read_file(mirror / "sonoma"), "not a folder");
}

// Object names that look like a download's temporary file are data like any other: X and
// X.apex-partial (the name the temporary file of X once had) both arrive byte-identical,
// even when X.apex-partial completes while X is still being fetched (X's GET is held back).
// Downloaded X held X.apex-partial's bytes, and X.apex-partial was missing, with exit 0.
TEST_F(UploadCli, DownloadedFilesNeverCollideWithTemporaryFiles) {
  const std::string big = apex::test::upload::random_bytes(3 * 1024 * 1024 + 17, 21);
  const std::string small = apex::test::upload::random_bytes(44 * 1024, 22);
  auto s3 = store();
  ASSERT_TRUE(s3.put("t/X", big, PutOptions{}));
  ASSERT_TRUE(s3.put("t/X.apex-partial", small, PutOptions{}));
  ASSERT_TRUE(s3.put("t/Y.apex-partial.apex-partial", "third", PutOptions{}));
  ASSERT_TRUE(s3.put("t/Y.apex-partial", "second", PutOptions{}));
  proxy_->set_delay("/t/X", std::chrono::milliseconds(1500), /*at_end=*/true);
  const fs::path mirror = work_ / "mirror";
  auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " " +
                  apex::test::upload::quote_arg(mirror.string()));
  proxy_->set_delay({}, std::chrono::milliseconds(0));
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("downloaded: 4 files, 0 skipped (unchanged), 0 failed"), std::string::npos)
      << run.output;
  EXPECT_TRUE(apex::test::upload::read_file(mirror / "t" / "X") == big) << "X holds X's bytes";
  EXPECT_TRUE(apex::test::upload::read_file(mirror / "t" / "X.apex-partial") == small);
  EXPECT_EQ(apex::test::upload::read_file(mirror / "t" / "Y.apex-partial"), "second");
  EXPECT_EQ(apex::test::upload::read_file(mirror / "t" / "Y.apex-partial.apex-partial"), "third");
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(mirror / "t"))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names,
            (std::set<std::string>{"X", "X.apex-partial", "Y.apex-partial", "Y.apex-partial.apex-partial"}));
}

TEST_F(UploadCli, DownloadOfAPrefixThatMatchesNothingSaysSoAndExitsOne) {
  apex::test::upload::write_file(tree_ / "barber" / "a.csv", "a");
  apex::test::upload::write_file(tree_ / "sonoma" / "b.csv", "b");
  ASSERT_EQ(upload().code, 0);
  const fs::path mirror = work_ / "mirror";
  const std::string where = std::string("s3://") + apex::test::upload::kUploadBucket + "/" + prefix();
  for (const std::string extra : {"", " --dry-run"}) {
    auto run = apex("download --prefix " + apex::test::upload::quote_arg(prefix()) + " nosuchprefix/ " +
                    apex::test::upload::quote_arg(mirror.string()) + extra);
    EXPECT_EQ(run.code, 1) << extra << "\n" << run.output;
    EXPECT_NE(run.output.find("nothing in " + where +
                              " matches the prefix 'nosuchprefix/' (it holds: barber/, "
                              "sonoma/): nothing was downloaded"),
              std::string::npos)
        << run.output;
  }
  EXPECT_FALSE(fs::exists(mirror)) << "no folder made for nothing";

  auto empty = apex("download --prefix " + apex::test::upload::quote_arg("nothing-" + prefix()) + " " +
                    apex::test::upload::quote_arg(mirror.string()));
  EXPECT_EQ(empty.code, 1) << empty.output;
  EXPECT_NE(empty.output.find("holds no objects: nothing was downloaded"), std::string::npos) << empty.output;
  EXPECT_FALSE(fs::exists(mirror));
}

// An endpoint nobody listens on is a failure at run time, not a setting: every command that
// reads the bucket exits 1 for it (upload, download, tracks, sessions and laps exited 2, ls
// and inspect 1). The loopback port 1 needs root to listen on: nothing answers there.
TEST_F(UploadCli, AnUnreachableEndpointExitsOneFromEveryCommand) {
  apex::test::upload::write_file(tree_ / "a.csv", "1");
  const std::map<std::string, std::string> unreachable = {{"USE_S3_DATA", "true"},
                                                          {"S3_ENDPOINT_URL", "http://127.0.0.1:1"}};
  for (const std::string& command : std::vector<std::string>{
           "ls", "tracks", "sessions sonoma-raceway", "laps sonoma-raceway R1", "inspect x_telemetry.csv",
           "upload " + apex::test::upload::quote_arg(tree_.string()) + " --max-attempts 1",
           "download " + apex::test::upload::quote_arg((work_ / "mirror").string()) + " --max-attempts 1",
           "download sonoma-raceway/ " + apex::test::upload::quote_arg((work_ / "mirror").string()) +
               " --max-attempts 1"}) {
    auto run = apex(command, unreachable);
    EXPECT_EQ(run.code, 1) << command << "\n" << run.output;
    EXPECT_NE(run.output.find("cannot reach S3 endpoint http://127.0.0.1:1"), std::string::npos)
        << command << "\n"
        << run.output;
  }
  EXPECT_FALSE(fs::exists(work_ / "mirror"));
}

// inspect looks a key up with a HEAD request; refused credentials must be reported as
// every other command reports them, not as a key that does not exist.
TEST_F(UploadCli, InspectAndLsInS3ModeReportRefusedCredentialsNotAMissingKey) {
  apex::test::upload::write_file(tree_ / "good" / "x.csv", "vehicle_id\n");
  ASSERT_EQ(upload().code, 0);
  const std::map<std::string, std::string> s3_mode = {{"USE_S3_DATA", "true"}, {"S3_PREFIX", prefix()}};
  auto refused_env = s3_mode;
  refused_env["AWS_ACCESS_KEY_ID"] = "APEXUNKNOWNKEY01";
  auto refused = apex("inspect good/x.csv", refused_env);
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_EQ(refused.output.find("is neither a local file nor a key"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("HTTP 403"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("Check AWS_ACCESS_KEY_ID (key ending in 'EY01')"), std::string::npos)
      << refused.output;

  // ls says it as tracks does: a setting to fix, exit 2 (it exited 1).
  auto listed = apex("ls", refused_env);
  EXPECT_EQ(listed.code, 2) << listed.output;
  EXPECT_NE(listed.output.find("HTTP 403"), std::string::npos) << listed.output;

  // With working credentials a key that is not there is still said to be missing.
  auto missing = apex("inspect good/nope.csv", s3_mode);
  EXPECT_EQ(missing.code, 1) << missing.output;
  EXPECT_NE(missing.output.find("'good/nope.csv' is neither a local file nor a key in s3://"),
            std::string::npos)
      << missing.output;
}

}  // namespace
}  // namespace apex
