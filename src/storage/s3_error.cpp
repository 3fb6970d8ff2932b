#include "storage/s3_error.h"

#include <array>

namespace apex {

namespace {

constexpr std::array kThrottlingCodes = {
    std::string_view("SlowDown"),
    std::string_view("Throttling"),
    std::string_view("ThrottlingException"),
    std::string_view("RequestLimitExceeded"),
    std::string_view("RequestThrottled"),
    std::string_view("TooManyRequestsException"),
    std::string_view("RequestTimeout"),
    std::string_view("InternalError"),
    std::string_view("ServiceUnavailable"),
    std::string_view("OperationAborted"),
};

std::string server_said(long status, const s3xml::ErrorBody& body) {
  std::string text = "HTTP " + std::to_string(status);
  if (!body.code.empty()) text += " " + body.code;
  if (!body.message.empty()) text += " (" + body.message + ")";
  return text;
}

std::string key_named(const S3ErrorContext& context) {
  return context.access_key_hint.empty()
             ? std::string("AWS_ACCESS_KEY_ID")
             : "AWS_ACCESS_KEY_ID (key ending in '" + context.access_key_hint + "')";
}

Error auth_error(long status, const s3xml::ErrorBody& body, const S3ErrorContext& context) {
  const std::string& code = body.code;
  std::string what = "S3 refused to " + context.action + ": " + server_said(status, body) + ". ";
  if (context.anonymous) {
    return Error{ErrorKind::AuthFailed,
                 what +
                     "No credentials are set, so the request was anonymous: set AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY, or make bucket '" +
                     context.bucket + "' public"};
  }
  if (code == "InvalidAccessKeyId")
    return Error{ErrorKind::AuthFailed, what + "The access key is unknown to the server: check " +
                                            key_named(context) +
                                            " (and S3_ENDPOINT_URL if it points elsewhere)"};
  if (code == "SignatureDoesNotMatch")
    return Error{ErrorKind::AuthFailed,
                 what + "The signature does not match: check AWS_SECRET_ACCESS_KEY, the secret paired with " +
                     key_named(context)};
  if (code == "ExpiredToken" || code == "TokenRefreshRequired" || code == "InvalidToken")
    return Error{ErrorKind::AuthFailed,
                 what + (context.has_session_token
                             ? "The temporary credentials expired or are invalid: refresh AWS_SESSION_TOKEN "
                               "together with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                             : "The server expects a session token: set AWS_SESSION_TOKEN for temporary "
                               "credentials")};
  if (code == "RequestTimeTooSkewed")
    return Error{ErrorKind::AuthFailed,
                 what + "The clock of this machine is off by more than 15 minutes: fix it"};
  if (code == "AccessDenied" || code == "AllAccessDisabled" || code == "AccountProblem")
    return Error{ErrorKind::AuthFailed,
                 what + "The credentials of " + key_named(context) +
                     " are not allowed to do this: check the IAM policy of that user and "
                     "the bucket policy of '" +
                     context.bucket + "'"};
  // HEAD answers carry no body, so a bare 403 could be any of the above.
  return Error{ErrorKind::AuthFailed, what + "Check " + key_named(context) + ", AWS_SECRET_ACCESS_KEY" +
                                          (context.has_session_token ? ", AWS_SESSION_TOKEN" : "") +
                                          " and the bucket policy of '" + context.bucket + "'"};
}

}  // namespace

bool is_retryable_s3_error(long http_status, std::string_view code) {
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504 ||
      http_status == 429)
    return true;
  for (auto retryable : kThrottlingCodes)
    if (code == retryable) return true;
  return false;
}

Error classify_s3_error(long http_status, const s3xml::ErrorBody& body, const S3ErrorContext& context) {
  const std::string& code = body.code;
  const std::string where =
      "bucket '" + context.bucket + "' in region " + context.region + " at " + context.endpoint;
  if (code == "NoSuchBucket")
    return Error{ErrorKind::BucketMissing, "cannot " + context.action + ": " + where +
                                               " does not exist (NoSuchBucket): check S3_BUCKET_NAME, "
                                               "AWS_REGION and S3_ENDPOINT_URL"};
  if (code == "NoSuchKey" || (code.empty() && http_status == 404))
    return Error{ErrorKind::NotFound, "cannot " + context.action + ": no such object (" +
                                          (code.empty() ? std::string("404") : code) + ")"};
  if (code == "NoSuchUpload")
    return Error{ErrorKind::NotFound,
                 "cannot " + context.action + ": the multipart upload no longer exists (NoSuchUpload)"};
  if (http_status == 403 || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
      code == "ExpiredToken" || code == "InvalidToken" || code == "AccessDenied" ||
      code == "RequestTimeTooSkewed")
    return auth_error(http_status, body, context);
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
      code == "IllegalLocationConstraintException" || http_status == 301) {
    std::string hint = body.region.empty() ? std::string("another region") : "region " + body.region;
    return Error{ErrorKind::InvalidInput, "cannot " + context.action + ": " + server_said(http_status, body) +
                                              ". Bucket '" + context.bucket + "' is in " + hint + ", not " +
                                              context.region + ": set AWS_REGION"};
  }
  if (code == "InvalidRange" || http_status == 416)
    return Error{ErrorKind::InvalidInput, "cannot " + context.action +
                                              ": the byte range is beyond the end of the object (" +
                                              server_said(http_status, body) + ")"};
  if (http_status == 404)
    return Error{ErrorKind::NotFound, "cannot " + context.action + ": " + server_said(http_status, body)};
  if (is_retryable_s3_error(http_status, code))
    return Error{ErrorKind::Unavailable, "cannot " + context.action + ": S3 at " + context.endpoint +
                                             " is unavailable or throttling (" +
                                             server_said(http_status, body) +
                                             "); retried without success, try again later"};
  return Error{ErrorKind::InvalidInput, "cannot " + context.action + ": S3 at " + context.endpoint +
                                            " rejected the request (" + server_said(http_status, body) + ")"};
}

Error classify_transport_error(std::string_view detail, bool timed_out, const S3ErrorContext& context) {
  return Error{ErrorKind::Unavailable, "cannot " + context.action + ": " +
                                           (timed_out ? "timed out talking to" : "cannot reach") +
                                           " S3 endpoint " + context.endpoint + " (" + std::string(detail) +
                                           "): check the network and S3_ENDPOINT_URL / AWS_REGION"};
}

std::string access_key_hint(std::string_view access_key_id) {
  constexpr std::size_t kShown = 4;
  if (access_key_id.size() <= kShown * 2) return {};
  return std::string(access_key_id.substr(access_key_id.size() - kShown));
}

}  // namespace apex
