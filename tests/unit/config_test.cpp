#include "config/config.h"

#include <gtest/gtest.h>

namespace apex {
namespace {

Result<Config> config_from(std::map<std::string, std::string> values) {
  return load_config(Environment::from_map(std::move(values)));
}

TEST(Config, DefaultsMatchTheDesign) {
  auto config = config_from({});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->data_dir, "data");
  EXPECT_EQ(config->port, 8000);
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_FALSE(config->s3.enabled);
  EXPECT_EQ(config->s3.bucket, "apex-racing-data");
  EXPECT_EQ(config->s3.region, "us-east-1");
  EXPECT_EQ(config->s3.prefix, "data/");
}

TEST(Config, ReadsEveryVariable) {
  auto config = config_from({{"DATA_DIR", "/srv/race"},
                             {"PORT", "9001"},
                             {"HOST", "0.0.0.0"},
                             {"USE_S3_DATA", "true"},
                             {"S3_BUCKET_NAME", "my-bucket"},
                             {"AWS_REGION", "eu-west-1"},
                             {"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"},
                             {"AWS_SECRET_ACCESS_KEY", "secret"},
                             {"S3_PREFIX", "race-data"},
                             {"S3_ENDPOINT_URL", "http://127.0.0.1:9000/"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->data_dir, "/srv/race");
  EXPECT_EQ(config->port, 9001);
  EXPECT_EQ(config->host, "0.0.0.0");
  EXPECT_TRUE(config->s3.enabled);
  EXPECT_EQ(config->s3.bucket, "my-bucket");
  EXPECT_EQ(config->s3.region, "eu-west-1");
  EXPECT_EQ(config->s3.prefix, "race-data/");
  EXPECT_EQ(config->s3.endpoint_url, "http://127.0.0.1:9000");
}

// A prefix is where upload writes and --delete deletes: one that could escape it or means
// something other than it says is refused at start-up, naming the variable.
TEST(Config, PrefixesThatAreNotPlainPathsAreRefused) {
  for (const char* value :
       {"/", "/data", "../", "data/../other", "./data", "data/./x", "a//b", "data\x1b[2J", "da\tta/"}) {
    auto config = config_from({{"S3_PREFIX", value}});
    ASSERT_FALSE(config) << value;
    EXPECT_EQ(config.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(config.error().message.find("S3_PREFIX"), std::string::npos) << config.error().message;
  }
  for (const auto& [value, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"data", "data/"}, {"a..b/c", "a..b/c/"}, {"Race 1/é", "Race 1/é/"}}) {
    auto config = config_from({{"S3_PREFIX", value}});
    ASSERT_TRUE(config) << value << ": " << config.error().message;
    EXPECT_EQ(config->s3.prefix, prefix);
  }
}

TEST(Config, BadValuesNameTheVariable) {
  struct Case {
    const char* name;
    const char* value;
  };
  for (auto c : {Case{"PORT", "eighty"}, Case{"PORT", "70000"}, Case{"USE_S3_DATA", "maybe"},
                 Case{"S3_BUCKET_NAME", "Bad_Bucket"}, Case{"AWS_REGION", "US East"},
                 Case{"S3_ENDPOINT_URL", "ftp://x"}, Case{"CACHE_MAX_MB", "-1"},
                 Case{"AWS_ACCESS_KEY_ID", "AKIAONLY"}}) {
    auto config = config_from({{c.name, c.value}});
    ASSERT_FALSE(config) << c.name << "=" << c.value;
    EXPECT_EQ(config.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(config.error().message.find(c.name), std::string::npos) << config.error().message;
  }
}

// PORT=0 means any free port, as --port 0 does (it was refused: "from 1 to 65535").
TEST(Config, PortZeroAsksForAnyFreePortAsTheOptionDoes) {
  auto config = config_from({{"PORT", "0"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->port, 0);
  auto refused = config_from({{"PORT", "65536"}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("PORT must be a whole number from 0 to 65535"), std::string::npos)
      << refused.error().message;
}

TEST(Config, BucketNameRuleIsSharedWithTheCommandLine) {
  EXPECT_EQ(bucket_name_problem("apex-racing-data"), std::nullopt);
  EXPECT_EQ(bucket_name_problem("my.bucket-2"), std::nullopt);
  for (const char* bad : {"Bad_Name", "ab", "-abc", "abc-", "has space", "UPPER"}) {
    auto problem = bucket_name_problem(bad);
    ASSERT_TRUE(problem) << bad;
    EXPECT_NE(problem->find(std::string("'") + bad + "'"), std::string::npos) << *problem;
    auto config = config_from({{"S3_BUCKET_NAME", bad}});
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().message, "configuration variable S3_BUCKET_NAME " + *problem);
  }
}

TEST(Config, SecretsNeverAppearInMessages) {
  auto config = config_from({{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message.find("wJalrXUtnFEMI"), std::string::npos);
}

TEST(Config, EndpointUrlWithCredentialsIsRefusedWithoutShowingThem) {
  // The password may hold '/', '?' or '@'; none of it may reach the message.
  for (const char* url :
       {"http://user:SuperSecretValue123@127.0.0.1:46200", "https://user:SuperSecretValue123@s3",
        "http://user:Super/Secret@Value123@127.0.0.1:46200/base", "user:SuperSecretValue123@host",
        "ftp://user:SuperSecretValue123@host"}) {
    auto config = config_from({{"S3_ENDPOINT_URL", url}});
    ASSERT_FALSE(config) << url;
    EXPECT_EQ(config.error().kind, ErrorKind::InvalidInput);
    const std::string& message = config.error().message;
    EXPECT_NE(message.find("S3_ENDPOINT_URL"), std::string::npos) << message;
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
    EXPECT_NE(message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << message;
    EXPECT_EQ(message.find("Secret"), std::string::npos) << message;
    EXPECT_EQ(message.find("Value123"), std::string::npos) << message;
  }
  // An '@' after the host is refused too, and nothing after it is shown either.
  auto config = config_from({{"S3_ENDPOINT_URL", "http://127.0.0.1:46200/@SuperSecretValue123"}});
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("the value is not shown"), std::string::npos)
      << config.error().message;
  EXPECT_EQ(config.error().message.find("SuperSecret"), std::string::npos) << config.error().message;
}

TEST(Config, ACredentialWithALineBreakNamesTheVariableNotTheValue) {
  auto config = config_from({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE\nAKIDMORE"},
                             {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(config.error().message.find(
                "AWS_ACCESS_KEY_ID holds a control character (a line break?) at character 12"),
            std::string::npos)
      << config.error().message;
  EXPECT_EQ(config.error().message.find("AKIDEXAMPLE"), std::string::npos) << config.error().message;
  auto token = config_from({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                            {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                            {"AWS_SESSION_TOKEN", "FQoG\rZXIvYXdz"}});
  ASSERT_FALSE(token);
  EXPECT_NE(token.error().message.find("AWS_SESSION_TOKEN"), std::string::npos) << token.error().message;
  EXPECT_EQ(token.error().message.find("FQoG"), std::string::npos) << token.error().message;
}

TEST(DotEnv, ALeadingByteOrderMarkIsNotPartOfTheFirstName) {
  auto parsed = parse_dotenv("\xEF\xBB\xBFPORT=9000\nHOST=0.0.0.0\n", ".env");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->at("PORT"), "9000");
}

TEST(DotEnv, ParsesCommentsQuotesAndExport) {
  auto parsed = parse_dotenv(
      "# comment\n\nexport PORT=9000\nDATA_DIR=\"/my data\"\nHOST='0.0.0.0' \nX=1 # note\n", ".env");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("PORT"), "9000");
  EXPECT_EQ(parsed->at("DATA_DIR"), "/my data");
  EXPECT_EQ(parsed->at("HOST"), "0.0.0.0");
  EXPECT_EQ(parsed->at("X"), "1");
}

// A quoted value followed by a comment is what is inside the quotes, as docker compose and
// python-dotenv read it (the quotes were kept: DATA_DIR was "/x" with its quotes).
TEST(DotEnv, AQuotedValueBeforeACommentLosesItsQuotes) {
  auto parsed = parse_dotenv(
      "DATA_DIR=\"/x\" # comment\nHOST='0.0.0.0'   #where\nA=\"b # not a comment\" # one\n"
      "B=\"with \\\"inner\\\" quotes\"\nC=\"open # rest\nD=\"x\"y\n",
      ".env");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->at("DATA_DIR"), "/x");
  EXPECT_EQ(parsed->at("HOST"), "0.0.0.0");
  EXPECT_EQ(parsed->at("A"), "b # not a comment");
  EXPECT_EQ(parsed->at("B"), "with \\\"inner\\\" quotes") << "the outer quotes, as before";
  EXPECT_EQ(parsed->at("C"), "\"open") << "no closing quote: kept, comment cut, as before";
  EXPECT_EQ(parsed->at("D"), "\"x\"y") << "text after the closing quote: kept as written, as before";
}

TEST(DotEnv, BadLineNamesFileAndLine) {
  auto parsed = parse_dotenv("PORT=1\nnot a setting\n", "/app/.env");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("/app/.env line 2"), std::string::npos);
}

}  // namespace
}  // namespace apex
