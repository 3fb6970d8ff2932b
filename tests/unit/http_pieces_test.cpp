// The HTTP server's small pieces: target decoding, the access log's escaping and redaction,
// gzip negotiation and compression (checked by inflating with zlib).
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "server/http/access_log.h"
#include "server/http/connection_limits.h"
#include "server/http/gzip.h"
#include "server/http/http_message.h"

namespace apex {
namespace {

TEST(OriginForm, AnAbsoluteTargetLosesItsSchemeAndAuthority) {
  EXPECT_EQ(origin_form("/health?x=1"), "/health?x=1");
  EXPECT_EQ(origin_form("http://example.com/health?x=1"), "/health?x=1");
  EXPECT_EQ(origin_form("HTTPS://example.com:8443/a/b"), "/a/b");
  EXPECT_EQ(origin_form("http://example.com"), "/");
  EXPECT_EQ(origin_form("http://example.com?x=1"), "/?x=1");
  EXPECT_EQ(origin_form("*"), "*");
  EXPECT_EQ(origin_form("ftp://example.com/a"), "ftp://example.com/a");  // not ours to read
}

TEST(RequestHead, EmptyLinesBeforeTheRequestLineAreCounted) {
  EXPECT_EQ(leading_empty_lines("GET / HTTP/1.1\r\n"), 0u);
  EXPECT_EQ(leading_empty_lines("\r\n\nGET / HTTP/1.1\r\n"), 3u);
  EXPECT_EQ(leading_empty_lines("\r"), 0u);  // a lone CR may be the start of a CRLF still coming
  EXPECT_EQ(leading_empty_lines(""), 0u);
}

TEST(RequestHead, AFoldedLineIsFoundInTheHeaderOnly) {
  EXPECT_FALSE(has_folded_line("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(has_folded_line("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"));
  EXPECT_TRUE(has_folded_line("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n"));
  EXPECT_TRUE(has_folded_line("GET / HTTP/1.1\r\nX: a\r\n b"));  // the header still arriving
  // A body (or the next request) after the blank line is not the header's business.
  EXPECT_FALSE(has_folded_line("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\na\n b"));
}

TEST(ConnectionLimits, CountsInAllAndPerClient) {
  ConnectionLimits limits(3, 2);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::Admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::Admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::ClientFull);
  EXPECT_EQ(limits.admit("10.0.0.2"), ConnectionLimits::Admission::Admitted);
  EXPECT_EQ(limits.admit("10.0.0.3"), ConnectionLimits::Admission::ServerFull);
  EXPECT_EQ(limits.open(), 3u);
  limits.release("10.0.0.1");
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::Admitted);
  limits.release("10.0.0.9");  // never admitted: nothing to release
  EXPECT_EQ(limits.open(), 3u);
}

TEST(ConnectionLimits, ZeroPerClientMeansOnlyTheTotalCounts) {
  ConnectionLimits limits(2, 0);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::Admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::Admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), ConnectionLimits::Admission::ServerFull);
}

TEST(ParseTarget, DecodesThePathAndTheQuery) {
  std::string path;
  std::multimap<std::string, std::string> params;
  parse_target("/api/track/Race%201/x?driver=GR86%2D1&note=a+b&flag&&empty=", path, params);
  EXPECT_EQ(path, "/api/track/Race 1/x");
  ASSERT_EQ(params.size(), 4u) << "the empty pair between '&&' is no parameter";
  EXPECT_EQ(params.find("driver")->second, "GR86-1");
  EXPECT_EQ(params.find("note")->second, "a b") << "'+' is a space in a query";
  EXPECT_EQ(params.find("flag")->second, "");
  EXPECT_EQ(params.find("empty")->second, "");
}

TEST(ParseTarget, KeepsRepeatsAndBrokenEscapes) {
  std::string path;
  std::multimap<std::string, std::string> params;
  parse_target("/a+b%zz%4?x=1&x=2", path, params);
  EXPECT_EQ(path, "/a+b%zz%4") << "'+' stays in a path; a '%' without two hex digits stays";
  EXPECT_EQ(params.count("x"), 2u);
}

TEST(ServerHeaders, NamesCompareWithoutCase) {
  ServerResponse response;
  response.set_header("Vary", "Accept");
  response.headers.add("vary", "Origin");
  EXPECT_TRUE(response.headers.has("VARY"));
  EXPECT_EQ(response.headers.value("vary"), "Accept");
  response.set_header("VARY", "Accept-Encoding");
  ASSERT_EQ(response.headers.fields().size(), 1u) << "set replaces every field of the name";
  EXPECT_EQ(response.headers.fields().front().second, "Accept-Encoding");
}

TEST(AccessLog, EscapesEveryControlByte) {
  EXPECT_EQ(log_escaped("/a\x1b[31m\r\nB\"\\\x7f\xc3\xa9"),
            "/a\\x1b[31m\\x0d\\x0aB\\x22\\x5c\\x7f\\xc3\\xa9");
  EXPECT_EQ(log_escaped(std::string(10, 'a'), 4), "aaaa...");
}

TEST(AccessLog, HidesSecretQueryValues) {
  EXPECT_EQ(loggable_target("/x?token=abc&lap=3&X-Amz-Signature=f00&api_key=k"),
            "/x?token=***&lap=3&X-Amz-Signature=***&api_key=***");
  EXPECT_EQ(loggable_target("/x?lap=3"), "/x?lap=3");
  EXPECT_EQ(loggable_target("/x?Token=%0d%0a"), "/x?Token=***");
  EXPECT_EQ(loggable_target("/x?%74oken=s&t%6Fken=s"), "/x?%74oken=***&t%6Fken=***")
      << "named as the app reads them";
}

TEST(Gzip, NegotiatesAsRfc9110Says) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_TRUE(compressible_type("application/json"));
  EXPECT_TRUE(compressible_type("text/html; charset=utf-8"));
  EXPECT_FALSE(compressible_type("image/png"));
}

TEST(Gzip, InflatesBackToTheBody) {
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "{\"lap\":" + std::to_string(i) + ",\"time\":97.428},";
  auto gz = gzip_compress(body);
  ASSERT_TRUE(gz);
  EXPECT_LT(gz->size(), body.size() / 4);
  ASSERT_GE(gz->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f) << "gzip magic";
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(body.size() + 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(gz->data());
  stream.avail_in = static_cast<uInt>(gz->size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  EXPECT_EQ(out, body);
}

}  // namespace
}  // namespace apex
