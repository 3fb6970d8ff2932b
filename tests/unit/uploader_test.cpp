// sync::upload_tree against a scripted loopback "S3" that lists incomplete multipart uploads
// and their parts (s3rver lists neither, and moto is not on every machine): a dry run tells
// what a run would do with each open upload (resume, abort and why) and changes nothing.
#include "sync/uploader.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "storage/content_digest.h"
#include "storage/s3_store.h"

namespace apex::sync {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kPart = 5 * kMebibyte;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string bytes(n, '\0');
  for (auto& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

std::string part_xml(int number, std::size_t size, const std::string& etag) {
  return "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>&quot;" + etag +
         "&quot;</ETag><Size>" + std::to_string(size) + "</Size></Part>";
}

std::string upload_xml(const std::string& key, const std::string& id, const std::string& initiated) {
  return "<Upload><Key>" + key + "</Key><UploadId>" + id +
         "</UploadId><Initiator><ID>someone</ID></Initiator>" +
         (initiated.empty() ? "" : "<Initiated>" + initiated + "</Initiated>") + "</Upload>";
}

// Answers ListMultipartUploads and ListParts as the script says; every other request is
// recorded and refused, so a dry run that writes shows up as a request the test sees.
class UploaderDryRun : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("apex-uploader-test-" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_ / "tree");
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
    auto refuse = [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 500;
    };
    server_.Put(".*", refuse);
    server_.Post(".*", refuse);
    server_.Delete(".*", refuse);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
    fs::remove_all(work_);
  }

  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(work_ / "tree" / name, std::ios::binary) << bytes;
  }

  // Runs upload_tree with 5 MiB parts against the script and returns what it printed.
  std::string run(bool dry_run, TransferSummary* summary) {
    S3Settings settings;
    settings.bucket = "bucket";
    settings.region = "us-east-1";
    settings.access_key_id = "AKIDEXAMPLEKEY00";
    settings.secret_access_key = "secret";
    settings.prefix = "data/";
    settings.endpoint_url = "http://127.0.0.1:" + std::to_string(port_);
    S3StoreOptions store_options;
    store_options.max_attempts = 2;
    store_options.initial_backoff = 1ms;
    store_options.max_backoff = 2ms;
    S3Store store(settings, store_options);
    auto scan = scan_tree(work_ / "tree");
    EXPECT_TRUE(scan) << scan.error().message;
    UploadOptions options;
    options.jobs = 2;
    options.multipart_threshold = kPart;
    options.part_size = kPart;
    options.dry_run = dry_run;
    options.location_prefix = "s3://bucket/data/";
    std::FILE* out = std::tmpfile();
    {
      ProgressReporter progress(out, false, "would upload");
      std::atomic<bool> cancel{false};
      *summary = upload_tree(store, *scan, Listing{}, options, progress, cancel);
    }
    std::fflush(out);
    std::rewind(out);
    std::string text;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, out)) text.append(buffer, n);
    std::fclose(out);
    return text;
  }

  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // The <Upload> elements of the ListMultipartUploadsResult; nullopt: 501, as s3rver answers.
  std::optional<std::string> list_uploads_answer;
  std::map<std::string, std::string> parts_by_upload_id;  // ListParts body per upload id

 private:
  void record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "?" : "&") + k + "=" + v;
    requests_.push_back(req.method + " " + req.path + query);
  }

  void answer(const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (req.has_param("uploads")) {
      if (!list_uploads_answer) {
        res.status = 501;
        res.set_content("<Error><Code>NotImplemented</Code><Message>not here</Message></Error>",
                        "application/xml");
        return;
      }
      res.set_content("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>" + *list_uploads_answer +
                          "</ListMultipartUploadsResult>",
                      "application/xml");
      return;
    }
    if (auto it = parts_by_upload_id.find(req.get_param_value("uploadId")); it != parts_by_upload_id.end()) {
      res.set_content("<ListPartsResult><IsTruncated>false</IsTruncated>" + it->second + "</ListPartsResult>",
                      "application/xml");
      return;
    }
    res.status = 404;
    res.set_content("<Error><Code>NoSuchUpload</Code><Message>no</Message></Error>", "application/xml");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> requests_;
  fs::path work_;
};

TEST_F(UploaderDryRun, ListsEveryIncompleteUploadWithWhatARunWouldDoAndChangesNothing) {
  // big.bin: 3 parts of 5 MiB. Its open uploads: one whose part 1 is other bytes, one holding
  // its first two parts, one more; small.csv goes up in one PUT, gone.bin is no local file.
  const std::string big = random_bytes(2 * kPart + 5, 7);
  write("big.bin", big);
  write("small.csv", "lap,time\n1,98.4\n");
  list_uploads_answer = upload_xml("data/big.bin", "other-bytes", "2026-12-01T10:00:00.000Z") +
                        upload_xml("data/big.bin", "two-parts", "2026-12-02T11:00:00.000Z") +
                        upload_xml("data/big.bin", "a-third", "") +
                        upload_xml("data/small.csv", "small", "2026-12-03T12:00:00.000Z") +
                        upload_xml("data/gone.bin", "gone", "2026-12-04T13:00:00.000Z");
  parts_by_upload_id["other-bytes"] = part_xml(1, kPart, md5_hex(random_bytes(kPart, 8)));
  parts_by_upload_id["two-parts"] = part_xml(1, kPart, md5_hex(big.substr(0, kPart))) +
                                    part_xml(2, kPart, md5_hex(big.substr(kPart, kPart)));

  TransferSummary summary;
  const std::string out = run(true, &summary);
  const std::string of = "the incomplete multipart upload of s3://bucket/data/";
  for (const std::string& line : std::vector<std::string>{
           "5 incomplete multipart uploads under s3://bucket/data/; what a run would do with each:",
           "would abort " + of +
               "big.bin (upload id other-bytes, started 2026-12-01T10:00:00.000Z): part 1 "
               "differs from the local file",
           "would resume " + of +
               "big.bin (upload id two-parts, started 2026-12-02T11:00:00.000Z): 2 of 3 "
               "parts already there, checked against the local file",
           "would abort " + of +
               "big.bin (upload id a-third): another incomplete upload of the same file is "
               "resumed",
           "would abort " + of +
               "small.csv (upload id small, started 2026-12-03T12:00:00.000Z): no file of "
               "this run resumes it",
           "would abort " + of +
               "gone.bin (upload id gone, started 2026-12-04T13:00:00.000Z): no file of this "
               "run resumes it",
       })
    EXPECT_NE(out.find(line + "\n"), std::string::npos) << line << "\nin:\n" << out;
  EXPECT_EQ(out.find("aborted"), std::string::npos) << out;
  EXPECT_EQ(out.find("resuming"), std::string::npos) << out;
  EXPECT_TRUE(summary.dry_run);
  EXPECT_EQ(summary.transferred, 2u) << out;
  EXPECT_EQ(summary.failed, 0u) << out;
  for (const auto& request : requests()) EXPECT_TRUE(request.starts_with("GET ")) << request;
}

TEST_F(UploaderDryRun, SaysWhenThereAreNoneOrTheyCannotBeListed) {
  write("big.bin", random_bytes(kPart + 1, 9));
  list_uploads_answer = "";
  TransferSummary summary;
  auto none = run(true, &summary);
  EXPECT_NE(none.find("no incomplete multipart uploads under s3://bucket/data/\n"), std::string::npos)
      << none;

  list_uploads_answer.reset();
  auto unlisted = run(true, &summary);
  EXPECT_NE(unlisted.find("note: cannot list incomplete multipart uploads under s3://bucket/data/"),
            std::string::npos)
      << unlisted;
  EXPECT_NE(unlisted.find("a run would resume or abort none"), std::string::npos) << unlisted;
  EXPECT_EQ(summary.failed, 0u) << unlisted;
  for (const auto& request : requests()) EXPECT_TRUE(request.starts_with("GET ")) << request;
}

}  // namespace
}  // namespace apex::sync
