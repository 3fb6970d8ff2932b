// Turns S3's answers into APEX's error kinds with messages that say what to fix:
// which variable, which bucket and region, which endpoint. The context carries no
// secret, so no message built here can contain one.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "storage/s3_xml.h"

namespace apex {

struct S3ErrorContext {
  std::string action;    // "read s3://apex-racing-data/data/barber/x.csv"
  std::string bucket;    // "apex-racing-data"
  std::string region;    // "us-east-1"
  std::string endpoint;  // "https://apex-racing-data.s3.us-east-1.amazonaws.com"
  bool anonymous = false;
  bool has_session_token = false;
  std::string access_key_hint;  // last characters of the access key id, for "which key"
};

// 500, 502, 503, 504 and the throttling / request-timeout codes: worth another attempt.
bool is_retryable_s3_error(long http_status, std::string_view code);

// Classifies a non-2xx answer (or a 200 whose body is an <Error>, as CompleteMultipartUpload
// may send). body.code is empty for HEAD, which has no body: the status decides then.
Error classify_s3_error(long http_status, const s3xml::ErrorBody& body, const S3ErrorContext& context);

// A connection that failed or broke: always Unavailable, naming the endpoint.
Error classify_transport_error(std::string_view detail, bool timed_out, const S3ErrorContext& context);

// "...MPLE" from "AKIAIOSFODNN7EXAMPLE": enough to tell keys apart in a message.
std::string access_key_hint(std::string_view access_key_id);

}  // namespace apex
