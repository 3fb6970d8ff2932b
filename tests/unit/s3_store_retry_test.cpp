// S3Store's retry, resume and classification logic against a scripted loopback HTTP
// server: each test decides what the "S3" answers, the store must cope.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "storage/content_digest.h"
#include "storage/s3_store.h"

namespace apex {
namespace {

using namespace std::chrono_literals;

// The object's ETag as S3 sends it: its MD5 in quotes. Built by append: g++ 12 at -O3 warns
// falsely (-Wstringop-overflow) on "\"" + string inside these handlers.
std::string quoted_md5(const std::string& object) {
  std::string tag = "\"";
  tag.append(md5_hex(object)).append("\"");
  return tag;
}

struct SeenRequest {
  std::string method;
  std::string path;
  std::string range;
  std::string if_match;
  std::string if_none_match;
  std::string query;
  std::size_t body_size = 0;
  std::string authorization;
  std::string security_token;
  std::string content_sha256;
};

class ScriptedS3 : public ::testing::Test {
 protected:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, int call)>;

  void SetUp() override {
    auto route = [this](const httplib::Request& req, httplib::Response& res) {
      int call = 0;
      {
        std::lock_guard lock(mutex_);
        std::string query;
        for (const auto& [k, v] : req.params) query += k + "=" + v + "&";
        seen_.push_back(SeenRequest{req.method, req.path, req.get_header_value("Range"),
                                    req.get_header_value("If-Match"), req.get_header_value("If-None-Match"),
                                    query, req.body.size(), req.get_header_value("Authorization"),
                                    req.get_header_value("X-Amz-Security-Token"),
                                    req.get_header_value("X-Amz-Content-Sha256")});
        call = static_cast<int>(seen_.size());
      }
      handler_(req, res, call);
    };
    server_.Get(".*", route);
    server_.Put(".*", route);
    server_.Post(".*", route);
    server_.Delete(".*", route);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }

  void TearDown() override {
    stop_ = true;
    server_.stop();
    thread_.join();
  }

  S3Settings settings() const {
    S3Settings s;
    s.bucket = "bucket";
    s.region = "us-east-1";
    s.access_key_id = "AKIDEXAMPLEKEY00";
    s.secret_access_key = "super/secret+value";
    s.prefix = "data/";
    s.endpoint_url = "http://127.0.0.1:" + std::to_string(port_);
    return s;
  }

  S3StoreOptions fast_options() const {
    S3StoreOptions o;
    o.max_attempts = 4;
    o.initial_backoff = 1ms;
    o.max_backoff = 4ms;
    o.timeouts.connect = 2000ms;
    return o;
  }

  std::vector<SeenRequest> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  static std::string random_bytes(std::size_t n) {
    std::mt19937 random(42);
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    return bytes;
  }

  static void error_answer(httplib::Response& res, int status, const std::string& code) {
    res.status = status;
    res.set_content("<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>scripted " + code +
                        "</Message></Error>",
                    "application/xml");
  }

  // Serves `object` with an MD5 ETag; httplib answers a Range header with 206 itself.
  static void object_answer(httplib::Response& res, const std::string& object) {
    res.set_header("ETag", quoted_md5(object));
    res.set_content(object, "application/octet-stream");
  }

  // Announces the whole object, sends only `cut` bytes of it (from the requested range start),
  // then drops the connection.
  static void broken_answer(const httplib::Request& req, httplib::Response& res, const std::string& object,
                            std::size_t cut) {
    res.set_header("ETag", quoted_md5(object));
    auto data = std::make_shared<std::string>(object);
    res.set_content_provider(object.size(), "application/octet-stream",
                             [data, cut](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               std::size_t n = std::min(cut, length);
                               sink.write(data->data() + offset, n);
                               return false;
                             });
    (void)req;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<SeenRequest> seen_;
  Handler handler_;
};

TEST_F(ScriptedS3, RetriesServiceUnavailableThenSucceeds) {
  handler_ = [](const httplib::Request&, httplib::Response& res, int call) {
    if (call <= 2) return error_answer(res, 503, "SlowDown");
    object_answer(res, "lap,time\n1,97.123\n");
  };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("barber/laps.csv");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(*bytes, "lap,time\n1,97.123\n");
  auto requests = seen();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].path, "/bucket/data/barber/laps.csv");
}

TEST_F(ScriptedS3, RetriesEachRetryableStatusAndThrottlingCode) {
  const std::vector<std::pair<int, std::string>> answers = {
      {500, "InternalError"},      {502, "BadGateway"},     {504, "GatewayTimeout"},
      {503, "ServiceUnavailable"}, {400, "RequestTimeout"}, {400, "ThrottlingException"},
      {429, "TooManyRequests"}};
  for (const auto& [status, code] : answers) {
    {
      std::lock_guard lock(mutex_);
      seen_.clear();
    }
    handler_ = [status, code](const httplib::Request&, httplib::Response& res, int call) {
      if (call == 1) return error_answer(res, status, code);
      object_answer(res, "x");
    };
    S3Store store(settings(), fast_options());
    auto bytes = store.read_all("x.csv");
    ASSERT_TRUE(bytes) << status << " " << code << ": " << bytes.error().describe();
    EXPECT_EQ(seen().size(), 2u) << status << " " << code;
  }
}

TEST_F(ScriptedS3, GivesUpAfterMaxAttemptsAsUnavailable) {
  handler_ = [](const httplib::Request&, httplib::Response& res, int) { error_answer(res, 503, "SlowDown"); };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("x.csv");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(bytes.error().message.find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << bytes.error().message;
  EXPECT_EQ(seen().size(), 4u);
}

TEST_F(ScriptedS3, NeverRetriesOtherClientErrors) {
  handler_ = [](const httplib::Request&, httplib::Response& res, int) {
    error_answer(res, 404, "NoSuchKey");
  };
  S3Store store(settings(), fast_options());
  auto missing = store.read_all("missing.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(seen().size(), 1u);

  handler_ = [](const httplib::Request&, httplib::Response& res, int) {
    error_answer(res, 403, "AccessDenied");
  };
  auto denied = store.read_all("denied.csv");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::AuthFailed);
  EXPECT_NE(denied.error().message.find("bucket policy"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("super/secret+value"), std::string::npos);
  EXPECT_EQ(seen().size(), 2u);

  handler_ = [](const httplib::Request&, httplib::Response& res, int) {
    error_answer(res, 400, "InvalidArgument");
  };
  auto bad = store.read_all("bad.csv");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(seen().size(), 3u);
}

TEST_F(ScriptedS3, BrokenBodyResumesWithRangeAndDeliversExactBytes) {
  // Larger than what S3Store holds back for its MD5 check, so it streams.
  const std::string object = random_bytes(S3Store::kVerifiedReadBytes + (1 << 20));
  constexpr std::size_t kCut = 300'000;
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int call) {
    if (call == 1) return broken_answer(req, res, object, kCut);
    object_answer(res, object);
  };
  S3Store store(settings(), fast_options());
  std::string delivered;
  std::size_t chunks = 0;
  auto status = store.read("big.bin", ByteRange{}, [&](std::string_view chunk) -> Status {
    delivered.append(chunk);
    ++chunks;
    return {};
  });
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(delivered.size(), object.size());
  EXPECT_TRUE(delivered == object);
  EXPECT_GT(chunks, 2u);  // streamed, not buffered
  auto requests = seen();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].range, "bytes=" + std::to_string(kCut) + "-" + std::to_string(object.size() - 1));
  EXPECT_EQ(requests[1].if_match, quoted_md5(object));
}

TEST_F(ScriptedS3, BrokenRangedReadResumesInsideTheRange) {
  const std::string object = random_bytes(600'000);
  handler_ = [&](const httplib::Request&, httplib::Response& res, int call) {
    if (call <= 2) {
      // Two breaks, each after 50 kB of the requested range.
      res.set_header("ETag", quoted_md5(object));
      res.set_content_provider(object.size(), "application/octet-stream",
                               [&object](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                 sink.write(object.data() + offset, 50'000);
                                 return false;
                               });
      return;
    }
    object_answer(res, object);
  };
  S3Store store(settings(), fast_options());
  std::string delivered;
  auto status = store.read("r.bin", ByteRange{1000, 400'000}, [&](std::string_view chunk) -> Status {
    delivered.append(chunk);
    return {};
  });
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_TRUE(delivered == object.substr(1000, 400'000));
  auto requests = seen();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].range, "bytes=1000-400999");
  EXPECT_EQ(requests[1].range, "bytes=51000-400999");
  EXPECT_EQ(requests[2].range, "bytes=101000-400999");
}

// Damaged in transit, not in the bucket: Unavailable, so a session load fails (and is not
// cached) instead of recording the file as corrupt and serving the session without it.
TEST_F(ScriptedS3, ResumedBytesThatDoNotMatchTheEtagAreUnavailable) {
  const std::string object = random_bytes(200'000);
  std::string tampered = object;
  tampered[150'000] ^= 0x5a;
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int call) {
    if (call == 1) return broken_answer(req, res, object, 100'000);
    res.set_header("ETag", quoted_md5(object));  // same ETag, other bytes
    res.set_content(tampered, "application/octet-stream");
  };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("t.bin");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(bytes.error().message.find("MD5"), std::string::npos);
}

// A whole body damaged in transit with a matching Content-Length (found by the fault proxy):
// a small object is held back until its MD5 matches, so the read is simply repeated.
TEST_F(ScriptedS3, DamagedWholeObjectIsReadAgain) {
  const std::string object = random_bytes(50'000);
  std::string tampered = object;
  tampered[25'000] ^= 0x5a;
  // Only the second answer is whole (one handler for the whole test: the server's threads read it).
  handler_ = [&](const httplib::Request&, httplib::Response& res, int call) {
    res.set_header("ETag", quoted_md5(object));
    res.set_content(call == 2 ? object : tampered, "application/octet-stream");
  };
  S3Store store(settings(), fast_options());
  std::size_t sink_calls = 0;
  std::string got;
  auto status = store.read("t.bin", ByteRange{}, [&](std::string_view chunk) -> Status {
    ++sink_calls;
    got.append(chunk);
    return {};
  });
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(got, object);  // the damaged bytes never reached the sink
  EXPECT_EQ(sink_calls, 1u);
  EXPECT_EQ(seen().size(), 2u);
}

// A multipart upload's ETag is no digest of the content: the XXH3-128 `apex upload` stored in
// the object's metadata checks it instead.
TEST_F(ScriptedS3, AMultipartObjectIsCheckedByTheDigestStoredAtUpload) {
  const std::string object = random_bytes(60'000);
  std::string tampered = object;
  tampered[30'000] ^= 0x5a;
  ContentDigest digest(DigestAlgorithm::Xxh128);
  digest.update(object);
  const std::string xxh128 = digest.finish_hex();
  handler_ = [&](const httplib::Request&, httplib::Response& res, int call) {
    res.set_header("ETag", "\"0123456789abcdef0123456789abcdef-2\"");
    res.set_header("x-amz-meta-" + std::string(kStoredXxh128Metadata), xxh128);
    res.set_content(call == 2 ? object : tampered, "application/octet-stream");
  };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("multipart.bin");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_TRUE(*bytes == object);  // the damaged answer was caught and read again
  EXPECT_EQ(seen().size(), 2u);
}

TEST_F(ScriptedS3, ObjectReplacedDuringResumeIsReportedNotMixed) {
  const std::string object = random_bytes(200'000);
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int call) {
    if (call == 1) return broken_answer(req, res, object, 50'000);
    // The resumed request carries If-Match; the object has a new ETag by now.
    EXPECT_EQ(req.get_header_value("If-Match"), quoted_md5(object));
    res.status = 412;  // no body: httplib would cut a body to the requested range
  };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("replaced.bin");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(bytes.error().message.find("changed while it was being read"), std::string::npos);
}

TEST_F(ScriptedS3, WrongRegionNamesTheBucketsRegion) {
  handler_ = [](const httplib::Request&, httplib::Response& res, int) {
    res.status = 301;
    res.set_header("x-amz-bucket-region", "ap-northeast-1");
  };
  S3Store store(settings(), fast_options());
  auto info = store.stat("x.csv");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(info.error().message.find("ap-northeast-1"), std::string::npos) << info.error().message;
  EXPECT_NE(info.error().message.find("AWS_REGION"), std::string::npos) << info.error().message;
}

TEST_F(ScriptedS3, ServerIgnoringRangeOnResumeStillGivesExactBytes) {
  const std::string object = random_bytes(300'000);
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int call) {
    if (call == 1) return broken_answer(req, res, object, 123'456);
    res.set_header("ETag", quoted_md5(object));
    // A chunked body escapes httplib's own Range handling: 200 and the whole object again,
    // without a Content-Length.
    res.status = 200;
    res.set_chunked_content_provider(
        "application/octet-stream", [&object](std::size_t offset, httplib::DataSink& sink) {
          if (offset < object.size()) {
            sink.write(object.data() + offset, std::min<std::size_t>(65536, object.size() - offset));
          } else {
            sink.done();
          }
          return true;
        });
  };
  S3Store store(settings(), fast_options());
  auto bytes = store.read_all("ignore-range.bin");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_TRUE(*bytes == object);
}

TEST_F(ScriptedS3, StalledTransferTimesOutAndResumes) {
  const std::string object = random_bytes(100'000);
  // The first answer stalls until the client gives up on it (or 30 s pass): the resumed
  // request arriving while it still stalls shows that the low-speed limit ended the transfer,
  // not the server.
  auto stalling = std::make_shared<std::atomic<bool>>(false);
  auto resumed = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> resumed_during_stall = false;
  handler_ = [&, stalling, resumed](const httplib::Request&, httplib::Response& res, int call) {
    if (call > 1) {
      resumed_during_stall = stalling->load();
      *resumed = true;
      return object_answer(res, object);
    }
    res.set_header("ETag", quoted_md5(object));
    // The provider owns its copies: its thread outlives the test body.
    auto data = std::make_shared<std::string>(object);
    res.set_content_provider(
        object.size(), "application/octet-stream",
        [this, data, stalling, resumed](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          // 100 bytes, then silence: far below 1000 bytes/s.
          sink.write(data->data() + offset, 100);
          *stalling = true;
          for (int i = 0; i < 300 && !stop_ && !*resumed; ++i) std::this_thread::sleep_for(100ms);
          *stalling = false;
          return false;
        });
  };
  auto options = fast_options();
  options.timeouts.low_speed_bytes_per_second = 1000;
  options.timeouts.low_speed_window = 1s;
  S3Store store(settings(), options);
  auto bytes = store.read_all("stall.bin");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_TRUE(*bytes == object);
  EXPECT_TRUE(resumed_during_stall) << "the client abandoned the stalled transfer itself";
  auto requests = seen();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].range, "bytes=100-99999");
}

TEST_F(ScriptedS3, SinkErrorStopsTheReadWithoutRetry) {
  const std::string object = random_bytes(2 << 20);
  handler_ = [&](const httplib::Request&, httplib::Response& res, int) { object_answer(res, object); };
  S3Store store(settings(), fast_options());
  auto status = store.read("x.bin", ByteRange{}, [](std::string_view) -> Status {
    return make_error(ErrorKind::Corrupt, "parser gave up at line 3");
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "parser gave up at line 3");
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(ScriptedS3, ConditionalReadAnswersNotModified) {
  const std::string object = "lap,time\n";
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int) {
    if (req.get_header_value("If-None-Match") == quoted_md5(object)) {
      res.status = 304;
      return;
    }
    object_answer(res, object);
  };
  S3Store store(settings(), fast_options());
  std::string read;
  auto sink = [&](std::string_view chunk) -> Status {
    read.append(chunk);
    return {};
  };
  auto first = store.read_if_changed("c.csv", "", sink);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(read, object);
  EXPECT_EQ(first->info.version, md5_hex(object));
  EXPECT_EQ(first->info.size, object.size());

  read.clear();
  auto second = store.read_if_changed("c.csv", first->info.version, sink);
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(read, "");
  EXPECT_EQ(seen().back().if_none_match, quoted_md5(object));

  auto third = store.read_if_changed("c.csv", "0123456789abcdef0123456789abcdef", sink);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->changed);
  EXPECT_EQ(read, object);
}

TEST_F(ScriptedS3, PutIsRetriedWithTheSameBody) {
  std::string stored;
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int call) {
    if (call == 1) return error_answer(res, 500, "InternalError");
    stored = req.body;
    res.set_header("ETag", "\"" + md5_hex(req.body) + "\"");
  };
  S3Store store(settings(), fast_options());
  ASSERT_TRUE(store.write_all("w.csv", "hello, world"));
  EXPECT_EQ(stored, "hello, world");
  auto requests = seen();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].body_size, 12u);
}

TEST_F(ScriptedS3, FailedMultipartUploadIsAborted) {
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int) {
    if (req.method == "POST" && req.has_param("uploads")) {
      res.set_content(
          "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>",
          "application/xml");
    } else if (req.method == "PUT" && req.get_param_value("partNumber") == "2") {
      error_answer(res, 400, "EntityTooSmall");
    } else if (req.method == "PUT") {
      res.set_header("ETag", "\"" + md5_hex(req.body) + "\"");
    } else if (req.method == "DELETE") {
      res.status = 204;
    }
  };
  auto options = fast_options();
  options.multipart_threshold = 1000;
  options.part_size = 600;
  S3Store store(settings(), options);
  auto status = store.write_all("m.bin", std::string(2000, 'x'));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, ErrorKind::InvalidInput);
  auto requests = seen();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[1].body_size, 600u);
  EXPECT_EQ(requests[3].method, "DELETE");
  EXPECT_EQ(requests[3].query, "uploadId=up-1&");
}

TEST_F(ScriptedS3, MultipartCompletesWithEveryPartInOrder) {
  std::string complete_body;
  std::map<int, std::string> parts;
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int) {
    if (req.method == "POST" && req.has_param("uploads")) {
      res.set_content(
          "<InitiateMultipartUploadResult><UploadId>up-2</UploadId></InitiateMultipartUploadResult>",
          "application/xml");
    } else if (req.method == "PUT") {
      parts[std::stoi(req.get_param_value("partNumber"))] = req.body;
      res.set_header("ETag", "\"" + md5_hex(req.body) + "\"");
    } else if (req.method == "POST") {
      complete_body = req.body;
      res.set_content("<CompleteMultipartUploadResult><ETag>\"abc-3\"</ETag></CompleteMultipartUploadResult>",
                      "application/xml");
    }
  };
  auto options = fast_options();
  options.multipart_threshold = 1000;
  options.part_size = 700;
  S3Store store(settings(), options);
  std::string data = random_bytes(1900);
  ASSERT_TRUE(store.write_all("m.bin", data));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1] + parts[2] + parts[3], data);
  EXPECT_EQ(parts[3].size(), 500u);
  EXPECT_NE(complete_body.find("<PartNumber>3</PartNumber><ETag>\"" + md5_hex(parts[3]) + "\"</ETag>"),
            std::string::npos)
      << complete_body;
}

TEST_F(ScriptedS3, ListFollowsContinuationTokens) {
  handler_ = [&](const httplib::Request& req, httplib::Response& res, int) {
    std::string token = req.get_param_value("continuation-token");
    std::string body = "<ListBucketResult>";
    if (token.empty()) {
      body += "<Contents><Key>data/a &amp; b.csv</Key><Size>3</Size><ETag>&quot;e1&quot;</ETag></Contents>";
      body += "<IsTruncated>true</IsTruncated><NextContinuationToken>t+1/=</NextContinuationToken>";
    } else {
      EXPECT_EQ(token, "t+1/=");
      body += "<Contents><Key>data/c/d.csv</Key><Size>5</Size><ETag>\"e2\"</ETag></Contents>";
      body += "<IsTruncated>false</IsTruncated>";
    }
    res.set_content(body + "</ListBucketResult>", "application/xml");
  };
  S3Store store(settings(), fast_options());
  auto listing = store.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  ASSERT_EQ(listing->objects.size(), 2u);
  EXPECT_EQ(listing->objects[0].key, "a & b.csv");
  EXPECT_EQ(listing->objects[0].version, "e1");
  EXPECT_EQ(listing->objects[1].key, "c/d.csv");
  EXPECT_EQ(listing->objects[1].size, 5u);
  auto requests = seen();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/bucket");
}

TEST_F(ScriptedS3, SignsWithKeysAndTokenAndSendsAnonymousUnsigned) {
  handler_ = [](const httplib::Request& req, httplib::Response& res, int) {
    if (req.method == "PUT") {
      res.set_header("ETag", "\"" + md5_hex(req.body) + "\"");
      return;
    }
    object_answer(res, "x");
  };
  auto signed_settings = settings();
  signed_settings.session_token = "session-token-value";
  S3Store signed_store(signed_settings, fast_options());
  ASSERT_TRUE(signed_store.write_all("s.csv", "abc"));
  ASSERT_TRUE(signed_store.read_all("s.csv"));
  auto anonymous_settings = settings();
  anonymous_settings.access_key_id.clear();
  anonymous_settings.secret_access_key.clear();
  S3Store anonymous(anonymous_settings, fast_options());
  ASSERT_TRUE(anonymous.read_all("s.csv"));

  auto requests = seen();
  ASSERT_EQ(requests.size(), 3u);
  for (int i : {0, 1}) {
    EXPECT_TRUE(requests[i].authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEKEY00/"))
        << requests[i].authorization;
    EXPECT_NE(requests[i].authorization.find("x-amz-security-token"), std::string::npos);
    EXPECT_EQ(requests[i].security_token, "session-token-value");
    EXPECT_EQ(requests[i].authorization.find("super/secret+value"), std::string::npos);
  }
  EXPECT_EQ(requests[0].content_sha256, sha256_hex("abc"));
  EXPECT_EQ(requests[1].content_sha256, sigv4::kEmptyPayloadHash);
  EXPECT_EQ(requests[2].authorization, "");
  EXPECT_EQ(requests[2].security_token, "");
}

TEST(S3StoreNetwork, UnreachableEndpointIsUnavailableNamingIt) {
  // Bind a port and close it: nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(address.sin_port);
  ::close(fd);
  S3Settings settings;
  settings.bucket = "bucket";
  settings.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
  S3StoreOptions options;
  options.max_attempts = 2;
  options.initial_backoff = 1ms;
  S3Store store(settings, options);
  auto info = store.stat("x.csv");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(info.error().message.find(settings.endpoint_url), std::string::npos) << info.error().message;
}

TEST(S3StoreDescribe, NamesBucketPrefixAndEndpointButNoCredentials) {
  S3Settings settings;
  settings.bucket = "apex-racing-data";
  settings.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  settings.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  settings.session_token = "token-value";
  S3Store aws(settings);
  EXPECT_EQ(aws.describe(), "s3://apex-racing-data/data/ (region us-east-1)");
  EXPECT_EQ(aws.endpoint(), "https://apex-racing-data.s3.us-east-1.amazonaws.com");
  settings.endpoint_url = "http://127.0.0.1:9000";
  S3Store local(settings);
  EXPECT_EQ(local.describe(), "s3://apex-racing-data/data/ at http://127.0.0.1:9000");
  for (const auto* store : {&aws, &local}) {
    EXPECT_EQ(store->describe().find("AKIA"), std::string::npos);
    EXPECT_EQ(store->describe().find("wJalr"), std::string::npos);
    EXPECT_EQ(store->describe().find("token-value"), std::string::npos);
  }
  settings.endpoint_url.clear();
  settings.bucket = "data.apex.example";
  EXPECT_EQ(S3Store(settings).endpoint(), "https://s3.us-east-1.amazonaws.com");
}

}  // namespace
}  // namespace apex
