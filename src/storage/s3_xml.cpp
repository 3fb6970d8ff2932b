#include "storage/s3_xml.h"

#include <charconv>

namespace apex::s3xml {

namespace {

// Position just after the opening tag `<tag ...>` found at or after pos, or npos.
// Sets self_closing for `<tag/>`.
std::size_t find_open(std::string_view xml, std::string_view tag, std::size_t pos, std::size_t* tag_start,
                      bool* self_closing) {
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    std::size_t name_end = pos + 1 + tag.size();
    if (xml.compare(pos + 1, tag.size(), tag) == 0 && name_end < xml.size()) {
      char after = xml[name_end];
      if (after == '>' || after == ' ' || after == '/' || after == '\t' || after == '\n' || after == '\r') {
        std::size_t close = xml.find('>', name_end);
        if (close == std::string_view::npos) return std::string_view::npos;
        *tag_start = pos;
        *self_closing = xml[close - 1] == '/';
        return close + 1;
      }
    }
    ++pos;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::vector<std::string_view> elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  const std::string closing = "</" + std::string(tag) + ">";
  while (true) {
    std::size_t tag_start = 0;
    bool self_closing = false;
    std::size_t content = find_open(xml, tag, pos, &tag_start, &self_closing);
    if (content == std::string_view::npos) break;
    if (self_closing) {
      out.push_back(std::string_view{});
      pos = content;
      continue;
    }
    std::size_t end = xml.find(closing, content);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(content, end - content));
    pos = end + closing.size();
  }
  return out;
}

std::optional<std::string> first_text(std::string_view xml, std::string_view tag) {
  auto found = elements(xml, tag);
  if (found.empty()) return std::nullopt;
  return decode_entities(found.front());
}

std::string decode_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out += '&';
    } else if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      std::uint32_t cp = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || cp > 0x10FFFF) {
        out += text[i];
        continue;
      }
      append_utf8(out, cp);
    } else {
      out += text[i];
      continue;
    }
    i = semi;
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string unquote_etag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

Result<ListPage> parse_list_objects_v2(std::string_view xml) {
  if (elements(xml, "ListBucketResult").empty())
    return make_error(ErrorKind::Corrupt, "ListObjectsV2 answer is not a ListBucketResult document");
  ListPage page;
  for (std::string_view contents : elements(xml, "Contents")) {
    ListedObject object;
    auto key = first_text(contents, "Key");
    auto size = first_text(contents, "Size");
    if (!key || !size)
      return make_error(ErrorKind::Corrupt, "ListObjectsV2 answer has an object without Key or Size");
    object.key = *key;
    auto [ptr, ec] = std::from_chars(size->data(), size->data() + size->size(), object.size);
    if (ec != std::errc{} || ptr != size->data() + size->size())
      return make_error(ErrorKind::Corrupt,
                        "ListObjectsV2 answer has a bad Size '" + *size + "' for '" + *key + "'");
    object.etag = unquote_etag(first_text(contents, "ETag").value_or(""));
    page.objects.push_back(std::move(object));
  }
  for (std::string_view common : elements(xml, "CommonPrefixes"))
    if (auto prefix = first_text(common, "Prefix")) page.common_prefixes.push_back(*prefix);
  page.truncated = first_text(xml, "IsTruncated").value_or("false") == "true";
  page.next_continuation_token = first_text(xml, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_continuation_token.empty())
    return make_error(ErrorKind::Corrupt,
                      "ListObjectsV2 answer is truncated but has no NextContinuationToken");
  return page;
}

Result<OpenUploadsPage> parse_list_multipart_uploads(std::string_view xml) {
  if (elements(xml, "ListMultipartUploadsResult").empty())
    return make_error(ErrorKind::Corrupt,
                      "ListMultipartUploads answer is not a ListMultipartUploadsResult document");
  OpenUploadsPage page;
  for (std::string_view upload : elements(xml, "Upload")) {
    auto key = first_text(upload, "Key");
    auto id = first_text(upload, "UploadId");
    if (!key || !id || id->empty())
      return make_error(ErrorKind::Corrupt,
                        "ListMultipartUploads answer has an upload without Key or UploadId");
    page.uploads.push_back({*key, *id, first_text(upload, "Initiated").value_or("")});
  }
  page.truncated = first_text(xml, "IsTruncated").value_or("false") == "true";
  page.next_key_marker = first_text(xml, "NextKeyMarker").value_or("");
  page.next_upload_id_marker = first_text(xml, "NextUploadIdMarker").value_or("");
  return page;
}

Result<PartsPage> parse_list_parts(std::string_view xml) {
  // AWS names the document ListPartsResult; moto answers ListPartsResponse.
  if (elements(xml, "ListPartsResult").empty() && elements(xml, "ListPartsResponse").empty())
    return make_error(ErrorKind::Corrupt, "ListParts answer is not a ListPartsResult document");
  PartsPage page;
  for (std::string_view part : elements(xml, "Part")) {
    auto number = first_text(part, "PartNumber");
    auto size = first_text(part, "Size");
    if (!number || !size)
      return make_error(ErrorKind::Corrupt, "ListParts answer has a part without PartNumber or Size");
    StoredPart stored;
    auto [p1, e1] = std::from_chars(number->data(), number->data() + number->size(), stored.number);
    auto [p2, e2] = std::from_chars(size->data(), size->data() + size->size(), stored.size);
    if (e1 != std::errc{} || e2 != std::errc{} || stored.number < 1)
      return make_error(ErrorKind::Corrupt, "ListParts answer has a bad PartNumber or Size");
    stored.etag = unquote_etag(first_text(part, "ETag").value_or(""));
    page.parts.push_back(std::move(stored));
  }
  page.truncated = first_text(xml, "IsTruncated").value_or("false") == "true";
  page.next_part_number_marker = first_text(xml, "NextPartNumberMarker").value_or("");
  return page;
}

std::optional<ErrorBody> parse_error(std::string_view xml) {
  auto error = elements(xml, "Error");
  if (error.empty()) return std::nullopt;
  ErrorBody body;
  body.code = first_text(error.front(), "Code").value_or("");
  body.message = first_text(error.front(), "Message").value_or("");
  body.region = first_text(error.front(), "Region").value_or("");
  return body;
}

Result<std::string> parse_upload_id(std::string_view xml) {
  auto id = first_text(xml, "UploadId");
  if (!id || id->empty())
    return make_error(ErrorKind::Corrupt, "CreateMultipartUpload answer has no UploadId");
  return *id;
}

std::string complete_multipart_upload_body(const std::vector<std::string>& part_etags) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (std::size_t i = 0; i < part_etags.size(); ++i) {
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>\"" + escape(part_etags[i]) +
            "\"</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

}  // namespace apex::s3xml
