// The few S3 XML documents APEX reads and writes: ListObjectsV2 pages, error bodies,
// CreateMultipartUpload and CompleteMultipartUpload. S3's XML is flat and machine-made,
// so a scanner for <Tag>text</Tag> with entity decoding is enough; no XML library needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace apex::s3xml {

// Inner text of each <tag>...</tag> in order (raw, entities not decoded). A tag with
// attributes matches; <tag/> yields an empty text. Same-name nesting is not supported
// (S3 documents have none).
std::vector<std::string_view> elements(std::string_view xml, std::string_view tag);

// Decoded text of the first <tag>, nullopt when absent.
std::optional<std::string> first_text(std::string_view xml, std::string_view tag);

std::string decode_entities(std::string_view text);
std::string escape(std::string_view text);

// An ETag without its surrounding quotes.
std::string unquote_etag(std::string_view etag);

struct ListedObject {
  std::string key;  // full key, prefix included
  std::uint64_t size = 0;
  std::string etag;  // unquoted
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

Result<ListPage> parse_list_objects_v2(std::string_view xml);

struct ErrorBody {
  std::string code;     // "NoSuchKey"
  std::string message;  // the server's sentence
  std::string region;   // set by S3 on wrong-region errors
};

// nullopt when the text is not an <Error> document.
std::optional<ErrorBody> parse_error(std::string_view xml);

Result<std::string> parse_upload_id(std::string_view xml);

// ListMultipartUploads: the uploads started and neither completed nor aborted.
struct OpenUpload {
  std::string key;  // full key
  std::string upload_id;
  // When it was started, as the server wrote it ("2026-12-06T17:56:01.000Z"); "" if not said.
  std::string initiated;
};
struct OpenUploadsPage {
  std::vector<OpenUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
Result<OpenUploadsPage> parse_list_multipart_uploads(std::string_view xml);

// ListParts: the parts an open upload holds.
struct StoredPart {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;  // unquoted
};
struct PartsPage {
  std::vector<StoredPart> parts;
  bool truncated = false;
  std::string next_part_number_marker;
};
Result<PartsPage> parse_list_parts(std::string_view xml);

// Body of CompleteMultipartUpload; part_etags[i] belongs to part number i + 1.
std::string complete_multipart_upload_body(const std::vector<std::string>& part_etags);

}  // namespace apex::s3xml
