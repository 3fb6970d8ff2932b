#include "storage/sigv4_signer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/content_digest.h"
#include "test_io.h"
#include "test_paths.h"

namespace apex::sigv4 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

fs::path fixtures() {
  return apex::test::source_dir() / "tests" / "fixtures" / "sigv4";
}

using test::read_file;

system_clock::time_point parse_time(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return system_clock::from_time_t(::timegm(&tm));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// request.txt: "METHOD PATH?QUERY HTTP/1.1", header lines (a line starting with white
// space continues the previous value), a blank line, the body.
struct ParsedRequest {
  Request request;
  std::string body;
};

ParsedRequest parse_request_file(const std::string& text) {
  ParsedRequest parsed;
  std::size_t line_end = text.find('\n');
  std::string first = text.substr(0, line_end);
  std::size_t method_end = first.find(' ');
  std::size_t target_end = first.rfind(" HTTP/");
  parsed.request.method = first.substr(0, method_end);
  std::string target = first.substr(method_end + 1, target_end - method_end - 1);
  std::size_t question = target.find('?');
  parsed.request.path = percent_decode(target.substr(0, question));
  if (question != std::string::npos) {
    std::string query = target.substr(question + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
      std::size_t amp = std::min(query.find('&', start), query.size());
      std::string pair = query.substr(start, amp - start);
      if (!pair.empty()) {
        std::size_t eq = pair.find('=');
        std::string name = pair.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
        parsed.request.query.emplace_back(percent_decode(name), percent_decode(value));
      }
      start = amp + 1;
    }
  }
  std::size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      parsed.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      parsed.request.headers.back().second += " " + canonical_header_value(line);
      continue;
    }
    std::size_t colon = line.find(':');
    parsed.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return parsed;
}

std::string authorization_of(const std::string& signed_request) {
  std::istringstream in(signed_request);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("Authorization:")) return line.substr(std::string("Authorization:").size());
  return {};
}

std::string header_of(const SignedRequest& signed_request, std::string_view name) {
  for (const auto& [n, v] : signed_request.headers)
    if (n == name) return v;
  return {};
}

struct SuiteCase {
  std::string name;
  fs::path dir;
};

std::vector<SuiteCase> suite_cases() {
  std::vector<SuiteCase> cases;
  auto root = fixtures() / "aws-sigv4-test-suite";
  if (!fs::is_directory(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) cases.push_back({entry.path().filename().string(), entry.path()});
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

struct SuiteRun {
  SignedRequest result;
  Credentials credentials;
};

SuiteRun sign_suite_case(const fs::path& dir, std::optional<bool> normalize_override = std::nullopt) {
  auto context = nlohmann::json::parse(read_file(dir / "context.json"));
  auto parsed = parse_request_file(read_file(dir / "request.txt"));
  Credentials credentials{context["credentials"]["access_key_id"],
                          context["credentials"]["secret_access_key"],
                          context["credentials"].value("token", "")};
  Options options;
  options.region = context["region"];
  options.service = context["service"];
  options.normalize_path = normalize_override.value_or(context["normalize"].get<bool>());
  options.add_content_sha256_header = context["sign_body"].get<bool>();
  options.sign_session_token = !context.value("omit_session_token", false);
  parsed.request.payload_hash = sha256_hex(parsed.body);
  return {sign(parsed.request, credentials, options, parse_time(context["timestamp"])), credentials};
}

TEST(SigV4TestSuite, FixturesArePresent) {
  EXPECT_EQ(suite_cases().size(), 38u) << "expected AWS's 38 cases under " << fixtures();
}

class SigV4SuiteCase : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteCase, MatchesAwsExpectedOutput) {
  const auto& dir = GetParam().dir;
  auto [result, credentials] = sign_suite_case(dir);
  EXPECT_EQ(result.canonical_request, read_file(dir / "header-canonical-request.txt"));
  EXPECT_EQ(result.string_to_sign, read_file(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(result.signature, read_file(dir / "header-signature.txt"));
  EXPECT_EQ(header_of(result, "authorization"),
            authorization_of(read_file(dir / "header-signed-request.txt")));
  // The secret feeds the HMAC only: no returned string carries it.
  EXPECT_EQ(result.canonical_request.find(credentials.secret_access_key), std::string::npos);
  EXPECT_EQ(result.string_to_sign.find(credentials.secret_access_key), std::string::npos);
  for (const auto& [name, value] : result.headers)
    EXPECT_EQ(value.find(credentials.secret_access_key), std::string::npos) << name;
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4SuiteCase, ::testing::ValuesIn(suite_cases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& param_info) {
                           std::string name = param_info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// S3 never normalises: in S3 mode each `*-normalized` case must sign the path exactly as
// its `*-unnormalized` twin does (the expected output S3 needs), not the normalised one.
TEST(SigV4TestSuite, S3ModeSignsNormalizedCasesUnnormalized) {
  int twins = 0;
  for (const auto& c : suite_cases()) {
    if (!c.name.ends_with("-normalized")) continue;
    auto twin = c.dir.parent_path() / (c.name.substr(0, c.name.size() - 11) + "-unnormalized");
    if (!fs::is_directory(twin)) continue;
    ++twins;
    auto s3_mode = sign_suite_case(c.dir, false);
    EXPECT_EQ(s3_mode.result.canonical_request, read_file(twin / "header-canonical-request.txt")) << c.name;
    EXPECT_EQ(s3_mode.result.signature, read_file(twin / "header-signature.txt")) << c.name;
  }
  EXPECT_EQ(twins, 7);
}

// AWS's S3 documentation, "Examples: Signature Calculations" (Authorization header).
class S3DocumentationExamples : public ::testing::Test {
 protected:
  Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  system_clock::time_point time = parse_time("2013-05-24T00:00:00Z");
  Options options;  // s3, us-east-1, unnormalised, x-amz-content-sha256
};

TEST_F(S3DocumentationExamples, GetObjectWithRange) {
  Request request{
      "GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}}};
  auto signed_request = sign(request, credentials, options, time);
  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_request.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signed_request.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_of(signed_request, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_of(signed_request, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header_of(signed_request, "x-amz-content-sha256"), kEmptyPayloadHash);
}

TEST_F(S3DocumentationExamples, PutObjectWithDollarInKey) {
  std::string body = "Welcome to Amazon S3.";
  Request request{"PUT",
                  "/test$file.text",
                  {},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                  sha256_hex(body)};
  auto signed_request = sign(request, credentials, options, time);
  EXPECT_EQ(request.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_NE(signed_request.canonical_request.find("\n/test%24file.text\n"), std::string::npos);
  EXPECT_EQ(signed_request.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_F(S3DocumentationExamples, GetBucketLifecycle) {
  Request request{"GET", "/", {{"lifecycle", ""}}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  auto signed_request = sign(request, credentials, options, time);
  EXPECT_NE(signed_request.canonical_request.find("\n/\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(signed_request.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_F(S3DocumentationExamples, ListObjects) {
  Request request{
      "GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {{"Host", "examplebucket.s3.amazonaws.com"}}};
  auto signed_request = sign(request, credentials, options, time);
  EXPECT_NE(signed_request.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(signed_request.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// Requests signed by botocore: unicode, spaces, '+', query values with '/', tokens.
TEST(SigV4BotocoreVectors, MatchIndependentImplementation) {
  auto path = fixtures() / "s3-botocore-vectors.json";
  ASSERT_TRUE(fs::exists(path)) << path;
  auto doc = nlohmann::json::parse(read_file(path));
  ASSERT_GE(doc["vectors"].size(), 7u);
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    Request request;
    request.method = v["method"];
    request.path = v["path"];
    for (const auto& q : v["query"]) request.query.emplace_back(q[0], q[1]);
    for (const auto& h : v["headers"]) request.headers.emplace_back(h[0], h[1]);
    request.payload_hash = v["unsigned_payload"].get<bool>() ? std::string(kUnsignedPayload)
                                                             : sha256_hex(v["body"].get<std::string>());
    Credentials credentials{doc["access_key_id"], doc["secret_access_key"], v["session_token"]};
    Options options;
    options.region = v["region"];
    auto result = sign(request, credentials, options, parse_time(doc["time"]));
    EXPECT_EQ(result.canonical_request, v["expected_canonical_request"].get<std::string>());
    EXPECT_EQ(result.string_to_sign, v["expected_string_to_sign"].get<std::string>());
    EXPECT_EQ(header_of(result, "authorization"), v["expected_authorization"].get<std::string>());
    // The URL the store sends is built with the same encoders: it must equal botocore's.
    std::string url = v["url"];
    std::string after_host = url.substr(url.find('/', std::string("https://").size()));
    std::string expected_path = after_host.substr(0, after_host.find('?'));
    EXPECT_EQ(uri_encode_path(request.path), expected_path);
    if (!credentials.session_token.empty()) {
      EXPECT_EQ(header_of(result, "x-amz-security-token"), credentials.session_token);
    }
  }
}

TEST(SigV4Signer, SessionTokenIsSignedAndSent) {
  Credentials credentials{"AKID", "secret-value-123", "token-abc"};
  Request request{"GET", "/b/k", {}, {{"host", "h"}}};
  auto result = sign(request, credentials, Options{}, parse_time("2024-01-01T00:00:00Z"));
  EXPECT_EQ(header_of(result, "x-amz-security-token"), "token-abc");
  EXPECT_NE(header_of(result, "authorization").find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(result.headers.back().first, "authorization");
}

TEST(SigV4Signer, NoSecretInAnyReturnedString) {
  Credentials credentials{"AKID", "s3cr3t+/SECRET==", ""};
  Request request{"PUT", "/s3cr3t+/SECRET==", {{"q", "s3cr3t+/SECRET=="}}, {{"host", "h"}}};
  auto result = sign(request, credentials, Options{}, parse_time("2024-01-01T00:00:00Z"));
  // The path and query hold the same characters encoded; the raw secret appears nowhere.
  for (const auto* text : {&result.canonical_request, &result.string_to_sign, &result.signature})
    EXPECT_EQ(text->find("s3cr3t+/SECRET=="), std::string::npos);
  for (const auto& [name, value] : result.headers)
    EXPECT_EQ(value.find("s3cr3t+/SECRET=="), std::string::npos);
}

TEST(SigV4Signer, Encoding) {
  EXPECT_EQ(uri_encode_component("a b+c/d~e_f.g-h*"), "a%20b%2Bc%2Fd~e_f.g-h%2A");
  EXPECT_EQ(uri_encode_path("/COTA/Race 1/Ünïcode file.csv"), "/COTA/Race%201/%C3%9Cn%C3%AFcode%20file.csv");
  EXPECT_EQ(uri_encode_path("/a%20b"), "/a%2520b");  // input is decoded: '%' is data
  EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "x/y"}, {"a", "1"}}), "a=1&a=x%2Fy&b=2");
  EXPECT_EQ(canonical_header_value("  a   b\t c  "), "a b c");
  EXPECT_EQ(normalize_path("//a/./b/../c//"), "/a/c/");
  EXPECT_EQ(normalize_path("/a/.."), "/");
  EXPECT_EQ(amz_date(parse_time("2015-08-30T12:36:00Z")), "20150830T123600Z");
}

}  // namespace
}  // namespace apex::sigv4
