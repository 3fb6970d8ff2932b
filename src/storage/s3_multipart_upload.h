// S3MultipartUpload: one multipart upload of one object, the whole protocol in one place:
// start it (or take over one an earlier run left open), send parts, list the parts it holds,
// complete it, or abort it so that no part stays billed. S3Store's own large write and
// `apex upload` (sync/uploader.cpp, parts in parallel) both drive it.
//
// Every part goes with its Content-MD5, so the server refuses bytes damaged on the way, and
// is checked against the ETag answered; every request is retried by S3Client.
// Threads: upload_part() may run on several threads at once; the rest are single calls.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"
#include "storage/s3_client.h"
#include "storage/s3_xml.h"

namespace apex {

class S3MultipartUpload {
 public:
  // Starts a new upload of full_key, stored as options say once completed.
  static Result<S3MultipartUpload> start(const S3Client& client, std::string full_key,
                                         const PutOptions& options);
  // An upload already open, as list_open_uploads() finds them, to resume or abort.
  // initiated: when it was started, as the listing gives it (empty when unknown).
  S3MultipartUpload(const S3Client& client, std::string full_key, std::string upload_id,
                    std::string initiated = {});

  // The object's key relative to the client's prefix.
  std::string key() const { return full_key_.substr(client_->prefix().size()); }
  const std::string& upload_id() const { return upload_id_; }
  const std::string& initiated() const { return initiated_; }

  // Returns the part's ETag (unquoted). part_number counts from 1.
  Result<std::string> upload_part(int part_number, std::string_view body) const;
  Result<std::vector<s3xml::StoredPart>> list_parts() const;
  // part_etags[i] is the ETag of part i + 1. A failure S3 reports inside a 200 answer
  // ("InternalError in the body") is tried again a few times.
  Status complete(const std::vector<std::string>& part_etags) const;
  // Discards the parts sent so far.
  Status abort() const;

  // Sends source in parts of part_size, one after the other, and completes; aborts on any
  // failure. `first` holds bytes already taken from source, sent before the rest.
  Status upload_all(std::string first, const ByteSource& source, std::uint64_t part_size) const;

 private:
  S3ErrorContext context(std::string_view what) const;

  const S3Client* client_;
  std::string full_key_;
  std::string upload_id_;
  std::string initiated_;
};

// The multipart uploads under the client's prefix that were started and never completed
// nor aborted (an interrupted run's, kill -9 included).
Result<std::vector<S3MultipartUpload>> list_open_uploads(const S3Client& client);

// Fills buffer from source up to `want` bytes; *eof when the source ended first.
Status fill_from(const ByteSource& source, std::string& buffer, std::size_t want, bool* eof);

}  // namespace apex
