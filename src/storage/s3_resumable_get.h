// S3ResumableGet: one GET of an object, or of a byte range of it, that survives broken
// connections. When an answer breaks mid-body (or ends short of its length), the next
// request asks with a Range from the first byte not yet handed to the sink, and with
// If-Match on the ETag first seen, so the sink gets every byte exactly once and never a mix
// of two versions. Attempts that make progress do not count against max_attempts.
//
// A whole object read from its first byte is checked at the end against the MD5 its ETag
// is, or the digest `apex upload` stored in its metadata (damaged(): the bytes failed it).
// An If-None-Match version makes it a conditional read: a 304 reads nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "storage/content_digest.h"
#include "storage/object_store.h"
#include "storage/s3_client.h"

namespace apex {

struct ConditionalRead {
  bool changed = false;  // false: the object still has the version asked about, nothing was read
  ObjectInfo info;       // when changed: the object as read (size, version)
};

class S3ResumableGet {
 public:
  // key: as the caller named it (relative to the prefix), for ObjectInfo and messages.
  // stat: the object's size, asked only for a read that S3 would refuse with 416 (nothing,
  // or from exactly the end), which is valid on disk and so here.
  S3ResumableGet(const S3Client& client, std::string key, ByteRange range, std::string if_none_match,
                 const ByteSink& sink, std::function<Result<ObjectInfo>()> stat);

  Result<ConditionalRead> run();
  bool damaged() const { return damaged_; }

  // What an object read whole in one GET is checked against (see s3_resumable_get.cpp).
  struct WholeObjectCheck {
    DigestAlgorithm algorithm;
    std::string expected_hex;
    std::string algorithm_name;
    std::string source;  // where the expected digest came from, for messages
    ContentDigest digest{algorithm};
  };

 private:
  // What to do after an answer: stop with this result, or ask again.
  using Step = std::optional<Result<ConditionalRead>>;

  sigv4::HeaderList request_headers() const;
  Status on_head(const HttpResponse& head);
  Status on_body(std::string_view chunk);
  Step after_answer(const HttpResult& result, std::uint64_t start);
  Step retry_or(Error error);
  Result<ConditionalRead> finish();
  Result<ConditionalRead> empty_read();
  Error changed_while_read() const;

  const S3Client& client_;
  std::string key_;
  std::string full_key_;
  ByteRange range_;
  std::string if_none_match_;
  const ByteSink& sink_;
  std::function<Result<ObjectInfo>()> stat_;
  S3ErrorContext context_;

  ConditionalRead outcome_;
  std::uint64_t next_ = 0;            // absolute offset of the next byte the sink gets
  std::optional<std::uint64_t> end_;  // exclusive end of what the sink gets, once known
  std::uint64_t skip_ = 0;            // bytes before next_ in this answer (a server that ignored Range)
  bool have_head_ = false;
  std::optional<WholeObjectCheck> check_;
  int failures_ = 0;
  bool damaged_ = false;
};

}  // namespace apex
