// apex upload after a run killed with SIGKILL in the middle of a multipart upload, against
// moto (a real S3 protocol server that lists open uploads and their parts; s3rver does
// neither): the next run resumes the upload whose parts hold the local bytes, sends only
// the missing parts, and aborts every other incomplete upload under its prefix, saying so;
// a dry run says which it would resume or abort and changes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include "captured_process.h"
#include "storage/s3_store.h"
#include "upload_test_support.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using apex::test::upload::kUploadBucket;

// moto_server in its plain mode (no IAM checks), with the test bucket; `skip` says why not.
class MotoServer {
 public:
  MotoServer() {
    int code = -1;
    apex::test::run_command("python3 -c 'import moto.server, flask' >/dev/null 2>&1", &code);
    if (code != 0) {
      skip = "moto is not installed in python3 (pip install 'moto[server]'); s3rver cannot list open uploads";
      return;
    }
    dir_ = apex::test::upload::fresh_dir("apex-upload-moto");
    port = apex::test::free_loopback_port();
    process_ = std::make_unique<apex::test::LoopbackProcess>(
        std::vector<std::string>{"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                 std::to_string(port)},
        std::map<std::string, std::string>{}, dir_ / "moto.log");
    std::string why;
    if (!process_->started() || !process_->wait_for_port(port, std::chrono::seconds(30), &why)) {
      error = "moto did not start: " + why;
      return;
    }
    auto out = apex::test::run_command("curl -s -X PUT " + endpoint() + "/" + kUploadBucket + " 2>&1", &code);
    if (code != 0) error = "cannot create the bucket on moto: " + out;
  }
  ~MotoServer() {
    process_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }

  int port = 0;
  std::string skip;
  std::string error;

 private:
  fs::path dir_;
  std::unique_ptr<apex::test::LoopbackProcess> process_;
};

class UploadResumeOnMoto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = std::make_unique<MotoServer>();
    if (moto_->skip.empty() && moto_->error.empty())
      proxy_ = std::make_unique<apex::test::upload::FaultProxy>(moto_->port);
  }
  static void TearDownTestSuite() {
    proxy_.reset();
    moto_.reset();
  }
  void SetUp() override {
    if (!moto_->skip.empty()) GTEST_SKIP() << moto_->skip;
    if (!moto_->error.empty()) GTEST_FAIL() << moto_->error;
    proxy_->clear();
    proxy_->set_fault(nullptr);
    work_ = apex::test::upload::fresh_dir(std::string("apex-resume-") +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    tree_ = work_ / "tree";
    fs::create_directories(tree_);
  }
  void TearDown() override { fs::remove_all(work_); }

  std::string prefix() const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "/data/";
  }
  std::vector<std::string> upload_args() const {
    return {"upload",
            tree_.string(),
            "--prefix",
            prefix(),
            "--multipart-threshold",
            "5",
            "--part-size",
            "5",
            "--jobs",
            "1",
            "--max-attempts",
            "20"};
  }
  apex::test::upload::ApexRun upload(const std::string& extra = "") {
    std::string args;
    for (const auto& arg : upload_args()) args += apex::test::upload::quote_arg(arg) + " ";
    args.erase(0, args.find(' ') + 1);  // run_apex adds nothing before: keep "upload" first
    return apex::test::upload::run_apex("upload " + args + extra,
                                        apex::test::upload::s3rver_env(proxy_->endpoint()), work_);
  }
  S3Store store() const {
    S3Settings s;
    s.bucket = kUploadBucket;
    s.access_key_id = "S3RVER";
    s.secret_access_key = "S3RVER";
    s.prefix = prefix();
    s.endpoint_url = moto_->endpoint();
    return S3Store(s);
  }

  static inline std::unique_ptr<MotoServer> moto_;
  static inline std::unique_ptr<apex::test::upload::FaultProxy> proxy_;
  fs::path work_;
  fs::path tree_;
};

TEST_F(UploadResumeOnMoto, AKilledMultipartUploadIsResumedWithOnlyTheMissingParts) {
  const std::string big = apex::test::upload::random_bytes(11 * 1024 * 1024 + 5, 31);  // 3 parts of 5 MiB
  apex::test::upload::write_file(tree_ / "big.bin", big);
  // Part 3 never gets through, so the run is surely between parts 2 and 3 when it is killed.
  proxy_->set_fault([](const std::string& method, const std::string& target, int) {
    return method == "PUT" && target.find("partNumber=3") != std::string::npos ? 503 : 0;
  });
  {
    apex::test::CapturedProcess run(upload_args(), apex::test::upload::s3rver_env(proxy_->endpoint()),
                                    work_ / "run");
    ASSERT_GT(run.pid(), 0);
    while (proxy_->count("PUT", "partNumber=3") == 0 && !run.wait(std::chrono::milliseconds(0)))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(::kill(run.pid(), SIGKILL), 0) << run.output();
    ASSERT_TRUE(run.wait(std::chrono::seconds(30)));
  }
  auto s3 = store();
  auto open = s3.list_open_uploads();
  ASSERT_TRUE(open) << open.error().describe();
  ASSERT_EQ(open->size(), 1u) << "kill -9 leaves the upload open";

  proxy_->set_fault(nullptr);
  proxy_->clear();
  auto again = upload();
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("resuming the incomplete multipart upload of s3://apex-test/" + prefix() +
                              "big.bin: 2 of 3 parts already there, checked against the local file"),
            std::string::npos)
      << again.output;
  EXPECT_EQ(proxy_->count("PUT", "partNumber=1"), 0u) << again.output;
  EXPECT_EQ(proxy_->count("PUT", "partNumber=2"), 0u) << again.output;
  EXPECT_EQ(proxy_->count("PUT", "partNumber=3"), 1u) << again.output;
  EXPECT_EQ(proxy_->count("POST", "?uploads"), 0u) << "no new upload started";
  auto back = s3.read_all("big.bin");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == big) << "the resumed object is the local file";
  EXPECT_TRUE(s3.list_open_uploads()->empty());
}

TEST_F(UploadResumeOnMoto, IncompleteUploadsThatCannotBeResumedAreAborted) {
  const std::string changed = apex::test::upload::random_bytes(6 * 1024 * 1024, 41);
  apex::test::upload::write_file(tree_ / "changed.bin", changed);
  auto s3 = store();
  // Earlier runs: one sent a part of other bytes, one a file that is gone since.
  for (const std::string key : {"changed.bin", "gone.bin"}) {
    auto upload = s3.start_multipart(key, PutOptions{});
    ASSERT_TRUE(upload) << upload.error().describe();
    ASSERT_TRUE(upload->upload_part(1, apex::test::upload::random_bytes(5 * 1024 * 1024, 42)));
  }
  auto run = upload();
  ASSERT_EQ(run.code, 0) << run.output;
  const std::string where = "s3://apex-test/" + prefix();
  EXPECT_NE(run.output.find("aborted an incomplete multipart upload of " + where +
                            "changed.bin (part 1 differs from the local file)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("aborted an incomplete multipart upload of " + where +
                            "gone.bin (no file of this run resumes it)"),
            std::string::npos)
      << run.output;
  EXPECT_TRUE(s3.list_open_uploads()->empty()) << run.output;
  auto back = s3.read_all("changed.bin");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == changed);
}

TEST_F(UploadResumeOnMoto, ADryRunListsWhatARunWouldResumeOrAbortAndChangesNothing) {
  const std::string big = apex::test::upload::random_bytes(11 * 1024 * 1024 + 5, 51);  // 3 parts of 5 MiB
  apex::test::upload::write_file(tree_ / "big.bin", big);
  auto s3 = store();
  // A killed run's upload of big.bin holding its first two parts (started, as apex does, with
  // the file's XXH3-128 as metadata), and one of a file gone since.
  PutOptions as_apex_starts_it;
  as_apex_starts_it.metadata.emplace_back("xxh128", apex::test::upload::xxh128_hex(big));
  auto resumable = s3.start_multipart("big.bin", as_apex_starts_it);
  ASSERT_TRUE(resumable) << resumable.error().describe();
  ASSERT_TRUE(resumable->upload_part(1, big.substr(0, 5 * 1024 * 1024)));
  ASSERT_TRUE(resumable->upload_part(2, big.substr(5 * 1024 * 1024, 5 * 1024 * 1024)));
  auto orphan = s3.start_multipart("gone.bin", PutOptions{});
  ASSERT_TRUE(orphan) << orphan.error().describe();
  ASSERT_TRUE(orphan->upload_part(1, apex::test::upload::random_bytes(5 * 1024 * 1024, 52)));

  proxy_->clear();
  auto dry = upload("--dry-run");
  ASSERT_EQ(dry.code, 0) << dry.output;
  const std::string of = "the incomplete multipart upload of s3://apex-test/" + prefix();
  EXPECT_NE(dry.output.find("2 incomplete multipart uploads under s3://apex-test/" + prefix() +
                            "; what a run would do with each:"),
            std::string::npos)
      << dry.output;
  // moto says when each was started (always the same date).
  EXPECT_NE(
      dry.output.find("would resume " + of + "big.bin (upload id " + resumable->upload_id() + ", started "),
      std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("): 2 of 3 parts already there, checked against the local file"),
            std::string::npos)
      << dry.output;
  EXPECT_NE(
      dry.output.find("would abort " + of + "gone.bin (upload id " + orphan->upload_id() + ", started "),
      std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("): no file of this run resumes it"), std::string::npos) << dry.output;
  EXPECT_EQ(proxy_->count("PUT"), 0u) << dry.output;
  EXPECT_EQ(proxy_->count("POST"), 0u) << dry.output;
  EXPECT_EQ(proxy_->count("DELETE"), 0u) << dry.output;
  auto open = s3.list_open_uploads();
  ASSERT_TRUE(open) << open.error().describe();
  EXPECT_EQ(open->size(), 2u) << "a dry run resumes and aborts nothing";

  // The run does what the dry run said.
  proxy_->clear();
  auto run = upload();
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("resuming the incomplete multipart upload of s3://apex-test/" + prefix() +
                            "big.bin: 2 of 3 parts already there"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("aborted an incomplete multipart upload of s3://apex-test/" + prefix() +
                            "gone.bin (no file of this run resumes it)"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(proxy_->count("PUT", "partNumber=1"), 0u) << run.output;
  EXPECT_TRUE(s3.list_open_uploads()->empty()) << run.output;
  auto back = s3.read_all("big.bin");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == big);
}

}  // namespace
}  // namespace apex
