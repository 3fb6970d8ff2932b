#include "storage/s3_xml.h"

#include <gtest/gtest.h>

namespace apex::s3xml {
namespace {

TEST(S3Xml, ParsesAListObjectsV2Page) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>apex-racing-data</Name><Prefix>data/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>data/COTA/Race 1/a &amp; b &lt;1&gt;.csv</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234567890123</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>data/&#220;n&#xEF;code.csv</Key><ETag>"abc-3"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>data/barber/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  auto page = parse_list_objects_v2(xml);
  ASSERT_TRUE(page) << page.error().describe();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "data/COTA/Race 1/a & b <1>.csv");
  EXPECT_EQ(page->objects[0].size, 1234567890123u);
  EXPECT_EQ(page->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page->objects[1].key, "data/Ünïcode.csv");
  EXPECT_EQ(page->objects[1].etag, "abc-3");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"data/barber/"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Xml, EmptyAndMalformedListings) {
  auto empty = parse_list_objects_v2(
      "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
      "<Prefix/></ListBucketResult>");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_FALSE(empty->truncated);
  EXPECT_FALSE(parse_list_objects_v2("<html>proxy error</html>"));
  EXPECT_FALSE(
      parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>x1</Size></Contents>"
                            "</ListBucketResult>"));
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"));
}

TEST(S3Xml, ParsesErrorsAndUploadIds) {
  auto error = parse_error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist"
      "</Message><BucketName>x</BucketName><Region>eu-west-1</Region></Error>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "NoSuchBucket");
  EXPECT_EQ(error->message, "The specified bucket does not exist");
  EXPECT_EQ(error->region, "eu-west-1");
  EXPECT_FALSE(parse_error("<ListBucketResult/>"));
  EXPECT_FALSE(parse_error(""));

  auto id = parse_upload_id(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE"
      "</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "VXBsb2FkIElE");
  EXPECT_FALSE(parse_upload_id("<InitiateMultipartUploadResult/>"));
}

TEST(S3Xml, ParsesOpenMultipartUploadsWithWhenEachStarted) {
  // AWS's example answer, shortened: Initiator and Initiated must not be confused.
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket><Prefix>data/</Prefix><IsTruncated>true</IsTruncated>
  <NextKeyMarker>data/b.csv</NextKeyMarker><NextUploadIdMarker>id-2</NextUploadIdMarker>
  <Upload><Key>data/a.csv</Key><UploadId>id-1</UploadId>
    <Initiator><ID>arn:aws:iam::1:user/uploader</ID></Initiator>
    <StorageClass>STANDARD</StorageClass><Initiated>2026-12-06T17:56:01.000Z</Initiated></Upload>
  <Upload><Key>data/b.csv</Key><UploadId>id-2</UploadId></Upload>
</ListMultipartUploadsResult>)";
  auto page = parse_list_multipart_uploads(xml);
  ASSERT_TRUE(page) << page.error().describe();
  ASSERT_EQ(page->uploads.size(), 2u);
  EXPECT_EQ(page->uploads[0].key, "data/a.csv");
  EXPECT_EQ(page->uploads[0].upload_id, "id-1");
  EXPECT_EQ(page->uploads[0].initiated, "2026-12-06T17:56:01.000Z");
  EXPECT_EQ(page->uploads[1].initiated, "") << "a server that does not say when leaves it empty";
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "data/b.csv");
  EXPECT_EQ(page->next_upload_id_marker, "id-2");
  EXPECT_FALSE(
      parse_list_multipart_uploads("<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
                                   "</ListMultipartUploadsResult>"))
      << "an upload without its id cannot be resumed or aborted";
}

TEST(S3Xml, TagNamesMatchExactly) {
  auto keys =
      elements("<KeyCount>3</KeyCount><Key>a</Key><Keys>no</Keys><Key attr=\"1\">b</Key><Key/>", "Key");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], "a");
  EXPECT_EQ(keys[1], "b");
  EXPECT_EQ(keys[2], "");
}

TEST(S3Xml, CompleteMultipartUploadBody) {
  EXPECT_EQ(complete_multipart_upload_body({"a1", "b2"}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"a1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"b2\"</ETag></Part></CompleteMultipartUpload>");
  EXPECT_EQ(escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
  EXPECT_EQ(unquote_etag("\"abc\""), "abc");
  EXPECT_EQ(unquote_etag("W/\"abc\""), "abc");
  EXPECT_EQ(unquote_etag("abc"), "abc");
}

}  // namespace
}  // namespace apex::s3xml
