// S3Store over a scripted HttpTransport: each test lists the answers "S3" gives, in order,
// and checks the requests the store sent. No server, no sockets: the transport is the seam.
// (s3_store_retry_test.cpp plays the same protocol through a loopback HTTP server.)
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "storage/content_digest.h"
#include "storage/s3_store.h"

namespace apex {
namespace {

using namespace std::chrono_literals;

struct ScriptedAnswer {
  long status = 200;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  // Deliver only this many bytes of body, then fail as a dropped connection would.
  std::optional<std::size_t> cut_after;
};

struct SentRequest {
  std::string method;
  std::string url;
  sigv4::HeaderList headers;
  std::size_t body_size = 0;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
};

// Plays its answers in order, as CurlTransport hands real ones over: a 2xx answer to a
// streamed request goes to on_head then on_body, anything else is buffered.
class ScriptedTransport final : public HttpTransport {
 public:
  struct Script {
    std::mutex mutex;
    std::deque<ScriptedAnswer> answers;
    std::vector<SentRequest> sent;
  };
  explicit ScriptedTransport(std::shared_ptr<Script> script) : script_(std::move(script)) {}

  HttpResult perform(const HttpRequest& request, const HttpStream* stream) override {
    ScriptedAnswer answer;
    {
      std::lock_guard lock(script_->mutex);
      script_->sent.push_back({request.method, request.url, request.headers,
                               request.body_file ? request.body_file->length : request.body.size()});
      if (script_->answers.empty()) {
        HttpResult none;
        none.failure = TransportFailure{"the script has no more answers", false, false};
        return none;
      }
      answer = std::move(script_->answers.front());
      script_->answers.pop_front();
    }
    HttpResult result;
    result.response.status = answer.status;
    result.response.headers = answer.headers;
    std::string_view body = answer.body;
    if (answer.cut_after) body = body.substr(0, *answer.cut_after);
    if (stream && is_success(answer.status) && request.method != "HEAD") {
      if (stream->on_head)
        if (auto ok = stream->on_head(result.response); !ok) {
          result.handler_error = ok.error();
          return result;
        }
      if (!body.empty())
        if (auto ok = stream->on_body(body); !ok) {
          result.handler_error = ok.error();
          return result;
        }
    } else {
      result.response.body = std::string(body);
    }
    if (answer.cut_after) result.failure = TransportFailure{"Connection reset by peer", false, true};
    return result;
  }

 private:
  std::shared_ptr<Script> script_;
};

class S3StoreOverScriptedTransport : public ::testing::Test {
 protected:
  S3Store store(S3StoreOptions options = fast_options()) {
    S3Settings settings;
    settings.bucket = "bucket";
    settings.region = "us-east-1";
    settings.access_key_id = "AKIDEXAMPLEKEY00";
    settings.secret_access_key = "super/secret+value";
    settings.prefix = "data/";
    settings.endpoint_url = "http://s3.invalid";
    return S3Store(settings, options, std::make_unique<ScriptedTransport>(script_));
  }

  static S3StoreOptions fast_options() {
    S3StoreOptions options;
    options.max_attempts = 4;
    options.initial_backoff = 1ms;
    options.max_backoff = 2ms;
    return options;
  }

  void answer(ScriptedAnswer answer) {
    std::lock_guard lock(script_->mutex);
    script_->answers.push_back(std::move(answer));
  }
  static ScriptedAnswer error(long status, const std::string& code) {
    return {status, {}, "<Error><Code>" + code + "</Code><Message>scripted</Message></Error>", {}};
  }
  static ScriptedAnswer object(const std::string& bytes) {
    return {200,
            {{"etag", "\"" + md5_hex(bytes) + "\""}, {"content-length", std::to_string(bytes.size())}},
            bytes,
            {}};
  }
  std::vector<SentRequest> sent() {
    std::lock_guard lock(script_->mutex);
    return script_->sent;
  }
  std::size_t answers_left() {
    std::lock_guard lock(script_->mutex);
    return script_->answers.size();
  }

  std::shared_ptr<ScriptedTransport::Script> script_ = std::make_shared<ScriptedTransport::Script>();
};

TEST_F(S3StoreOverScriptedTransport, RetriesThrottlingThenReads) {
  answer(error(503, "SlowDown"));
  answer(error(400, "ThrottlingException"));
  answer(object("lap,time\n1,97.123\n"));
  auto s3 = store();
  auto bytes = s3.read_all("barber/laps.csv");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(*bytes, "lap,time\n1,97.123\n");
  auto requests = sent();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.url, "http://s3.invalid/bucket/data/barber/laps.csv");
    EXPECT_NE(request.header("authorization").find("AKIDEXAMPLEKEY00"), std::string::npos);
  }
}

TEST_F(S3StoreOverScriptedTransport, BrokenBodyResumesFromTheFirstMissingByte) {
  const std::string bytes(1000, 'r');
  const std::string etag = "\"" + md5_hex(bytes) + "\"";
  ScriptedAnswer broken = object(bytes);
  broken.cut_after = 400;
  answer(broken);
  answer({206,
          {{"etag", etag}, {"content-range", "bytes 400-999/1000"}, {"content-length", "600"}},
          bytes.substr(400),
          {}});
  auto s3 = store();
  auto read = s3.read_all("big.bin");
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_TRUE(*read == bytes);
  auto requests = sent();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("range"), "");
  EXPECT_EQ(requests[1].header("range"), "bytes=400-999");
  EXPECT_EQ(requests[1].header("if-match"), etag);
}

TEST_F(S3StoreOverScriptedTransport, NeverRetriesWhatCannotSucceed) {
  answer(error(403, "AccessDenied"));
  auto s3 = store();
  auto denied = s3.read_all("x.csv");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::AuthFailed);
  EXPECT_EQ(denied.error().message.find("super/secret+value"), std::string::npos);
  EXPECT_EQ(sent().size(), 1u);

  // A transport failure marked not retryable (a bad certificate, say) is tried once.
  auto none = s3.read_all("y.csv");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(sent().size(), 2u);
}

TEST_F(S3StoreOverScriptedTransport, MultipartWriteAbortsAfterAFailedPart) {
  answer({200,
          {},
          "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>",
          {}});
  answer({200, {{"etag", "\"" + md5_hex(std::string(600, 'x')) + "\""}}, "", {}});
  answer(error(400, "EntityTooSmall"));
  answer({204, {}, "", {}});
  auto options = fast_options();
  options.multipart_threshold = 1000;
  options.part_size = 600;
  auto s3 = store(options);
  auto written = s3.write_all("m.bin", std::string(2000, 'x'));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, ErrorKind::InvalidInput);
  auto requests = sent();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "http://s3.invalid/bucket/data/m.bin?uploads=");
  EXPECT_EQ(requests[1].url, "http://s3.invalid/bucket/data/m.bin?partNumber=1&uploadId=up-1");
  EXPECT_EQ(requests[1].body_size, 600u);
  EXPECT_EQ(requests[2].body_size, 600u);
  EXPECT_EQ(requests[3].method, "DELETE");
  EXPECT_EQ(requests[3].url, "http://s3.invalid/bucket/data/m.bin?uploadId=up-1");
  EXPECT_EQ(answers_left(), 0u);
}

}  // namespace
}  // namespace apex
