#include "storage/s3_error.h"

#include <gtest/gtest.h>

namespace apex {
namespace {

S3ErrorContext context(bool anonymous = false, bool token = false) {
  S3ErrorContext c;
  c.action = "read s3://apex-racing-data/data/barber/laps.csv";
  c.bucket = "apex-racing-data";
  c.region = "eu-west-1";
  c.endpoint = "https://apex-racing-data.s3.eu-west-1.amazonaws.com";
  c.anonymous = anonymous;
  c.has_session_token = token;
  c.access_key_hint = access_key_hint("AKIAIOSFODNN7EXAMPLE");
  return c;
}

Error classify(long status, std::string code, const S3ErrorContext& c = context()) {
  return classify_s3_error(status, s3xml::ErrorBody{std::move(code), "server words", ""}, c);
}

TEST(S3Error, KindsFollowTheCodes) {
  EXPECT_EQ(classify(404, "NoSuchKey").kind, ErrorKind::NotFound);
  EXPECT_EQ(classify(404, "").kind, ErrorKind::NotFound);  // HEAD: no body
  EXPECT_EQ(classify(404, "NoSuchBucket").kind, ErrorKind::BucketMissing);
  for (const char* code : {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "AccessDenied",
                           "RequestTimeTooSkewed", ""})
    EXPECT_EQ(classify(403, code).kind, ErrorKind::AuthFailed) << code;
  EXPECT_EQ(classify(400, "ExpiredToken").kind, ErrorKind::AuthFailed);
  EXPECT_EQ(classify(416, "InvalidRange").kind, ErrorKind::InvalidInput);
  EXPECT_EQ(classify(400, "InvalidArgument").kind, ErrorKind::InvalidInput);
  EXPECT_EQ(classify(301, "PermanentRedirect").kind, ErrorKind::InvalidInput);
  EXPECT_EQ(classify(503, "SlowDown").kind, ErrorKind::Unavailable);
  EXPECT_EQ(classify(500, "InternalError").kind, ErrorKind::Unavailable);
}

TEST(S3Error, MessagesSayWhatToCheck) {
  EXPECT_NE(classify(403, "InvalidAccessKeyId").message.find("AWS_ACCESS_KEY_ID (key ending in 'MPLE')"),
            std::string::npos);
  EXPECT_NE(classify(403, "SignatureDoesNotMatch").message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_NE(classify(400, "ExpiredToken", context(false, true)).message.find("AWS_SESSION_TOKEN"),
            std::string::npos);
  EXPECT_NE(classify(403, "AccessDenied").message.find("bucket policy"), std::string::npos);
  EXPECT_NE(classify(403, "AccessDenied", context(true)).message.find("No credentials are set"),
            std::string::npos);
  auto bucket = classify(404, "NoSuchBucket").message;
  EXPECT_NE(bucket.find("'apex-racing-data'"), std::string::npos);
  EXPECT_NE(bucket.find("eu-west-1"), std::string::npos);
  EXPECT_NE(bucket.find("S3_BUCKET_NAME"), std::string::npos);
  auto region =
      classify_s3_error(301, s3xml::ErrorBody{"PermanentRedirect", "", "us-west-2"}, context()).message;
  EXPECT_NE(region.find("us-west-2"), std::string::npos);
  EXPECT_NE(region.find("AWS_REGION"), std::string::npos);
  auto network = classify_transport_error("Couldn't connect to server", false, context());
  EXPECT_EQ(network.kind, ErrorKind::Unavailable);
  EXPECT_NE(network.message.find("https://apex-racing-data.s3.eu-west-1.amazonaws.com"), std::string::npos);
  for (const char* code : {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"})
    EXPECT_EQ(classify(403, code).message.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos) << code;
}

TEST(S3Error, OnlyServerSideAndThrottlingErrorsAreRetried) {
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_TRUE(is_retryable_s3_error(status, "")) << status;
  EXPECT_TRUE(is_retryable_s3_error(503, "SlowDown"));
  EXPECT_TRUE(is_retryable_s3_error(400, "ThrottlingException"));
  EXPECT_TRUE(is_retryable_s3_error(400, "RequestTimeout"));
  for (const char* code : {"NoSuchKey", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                           "NoSuchBucket", "InvalidRange", "InvalidArgument"})
    EXPECT_FALSE(is_retryable_s3_error(400, code)) << code;
  EXPECT_FALSE(is_retryable_s3_error(404, ""));
  EXPECT_FALSE(is_retryable_s3_error(403, ""));
}

TEST(S3Error, AccessKeyHintShowsOnlyTheEnd) {
  EXPECT_EQ(access_key_hint("AKIAIOSFODNN7EXAMPLE"), "MPLE");
  EXPECT_EQ(access_key_hint("SHORT"), "");
}

}  // namespace
}  // namespace apex
