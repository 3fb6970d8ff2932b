// The checks ApiServer applies to client-controlled values, and API_TOKEN's configuration.
#include "server/request_validation.h"

#include <gtest/gtest.h>

#include <vector>

#include "config/config.h"

namespace apex {
namespace {

using namespace std::string_literals;

TEST(PathParameter, AcceptsRealNames) {
  for (const std::string& value :
       std::vector<std::string>{"barber-motorsports-park", "Sonoma", "R1", "Race 1", "GR86-010-16", "car-22",
                                "road_america", "Circuit Gilles-Villeneuve", "Nürburgring", "鈴鹿", "a.b"})
    EXPECT_EQ(path_parameter_problem("track", value), std::nullopt) << value;
  EXPECT_EQ(path_parameter_problem("track", std::string(kMaxPathParameterBytes, 'a')), std::nullopt);
}

TEST(PathParameter, RefusesTraversalSeparatorsControlsAndBadUtf8) {
  for (const std::string& value : std::vector<std::string>{
           ""s, ".."s, "../etc"s, "a..b"s, "a/b"s, "a\\b"s, "a\0b"s, "\0"s, "a\nb"s, "a\rb"s, "a\tb"s,
           "\x7f"s, "\xff"s, "\xc0\xaf"s, "\xe0\x80\xaf"s, "\xed\xa0\x80"s, "\xf4\x90\x80\x80"s, "abc\xc3"s,
           std::string(kMaxPathParameterBytes + 1, 'a')}) {
    auto problem = path_parameter_problem("track", value);
    ASSERT_TRUE(problem) << "accepted: '" << value << "'";
    EXPECT_NE(problem->find("'track'"), std::string::npos) << *problem;
    // The message never echoes the value: it may be binary, huge or meant for a log.
    if (value.size() > 2) {
      EXPECT_EQ(problem->find(value), std::string::npos) << *problem;
    }
  }
}

TEST(QueryValue, LengthControlsAndUtf8) {
  EXPECT_EQ(query_value_problem("driver", ""), std::nullopt);
  EXPECT_EQ(query_value_problem("driver", "GR86-010-16"), std::nullopt);
  EXPECT_EQ(query_value_problem("driver", "a/b"), std::nullopt) << "a query value is data, not a path";
  EXPECT_EQ(query_value_problem("driver", std::string(kMaxQueryValueBytes, '1')), std::nullopt);
  EXPECT_TRUE(query_value_problem("driver", std::string(kMaxQueryValueBytes + 1, '1')));
  EXPECT_TRUE(query_value_problem("driver", "13\0"s));
  EXPECT_TRUE(query_value_problem("driver", "\xff"));
}

TEST(RawTarget, EncodedSeparatorsAndNul) {
  EXPECT_EQ(raw_target_problem("/api/analytics/track/barber/sessions"), std::nullopt);
  EXPECT_EQ(raw_target_problem("/api/analytics/track/Race%201/sessions?driver=a%2Fb"), std::nullopt)
      << "an encoded slash in the query is a value, not a separator";
  for (const std::string& target : std::vector<std::string>{"/api/analytics/track/..%2F..%2Fetc/sessions",
                                                            "/a%2fb", "/a%5Cb", "/a%5cb", "/a%00b", "/x%2F"})
    EXPECT_TRUE(raw_target_problem(target)) << target;
  EXPECT_TRUE(raw_target_problem("/a\0b"s));
  EXPECT_EQ(raw_target_problem("/a%2"), std::nullopt);
  EXPECT_EQ(raw_target_problem("/a%"), std::nullopt);
}

TEST(BearerToken, MatchesOnlyTheExactToken) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  EXPECT_TRUE(bearer_token_matches("Bearer " + token, token));
  EXPECT_TRUE(bearer_token_matches("bearer " + token, token));
  EXPECT_TRUE(bearer_token_matches("BEARER   " + token + " ", token));
  EXPECT_FALSE(bearer_token_matches("", token));
  EXPECT_FALSE(bearer_token_matches("Bearer", token));
  EXPECT_FALSE(bearer_token_matches("Bearer ", token));
  EXPECT_FALSE(bearer_token_matches(token, token));
  EXPECT_FALSE(bearer_token_matches("Basic " + token, token));
  EXPECT_FALSE(bearer_token_matches("Bearer " + token.substr(1), token));
  EXPECT_FALSE(bearer_token_matches("Bearer " + token + "0", token));
  EXPECT_FALSE(bearer_token_matches("Bearer " + token.substr(0, 16), token));
  EXPECT_FALSE(bearer_token_matches("Bearerx" + token, token));
  EXPECT_FALSE(bearer_token_matches("Bearer ", "")) << "an empty expected token never matches";
}

TEST(ApiTokenConfig, ReadCheckedAndNeverEchoed) {
  auto config = [](std::map<std::string, std::string> values) {
    return load_config(Environment::from_map(std::move(values)));
  };
  auto open = config({});
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->api_token.empty());
  auto empty = config({{"API_TOKEN", ""}});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->api_token.empty());
  auto set = config({{"API_TOKEN", " 6f1d2c9b8a7e4d3c6f1d2c9b8a7e4d3c "}});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->api_token, "6f1d2c9b8a7e4d3c6f1d2c9b8a7e4d3c");
  for (const std::string& bad :
       std::vector<std::string>{"shortToken12345", "has space inside-0123456789", "tab\tinside-0123456789",
                                "n\xc3\xbcmlaut-0123456789abcdef"}) {
    auto refused = config({{"API_TOKEN", bad}});
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("API_TOKEN"), std::string::npos);
    EXPECT_EQ(refused.error().message.find(bad), std::string::npos) << refused.error().message;
  }
}

}  // namespace
}  // namespace apex
