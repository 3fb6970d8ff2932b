// apex upload against moto in IAM auth mode, the one local peer that checks signatures:
// wrong credentials stop the run before a byte is sent, with exit code 2.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/s3_store.h"
#include "upload_test_support.h"

namespace apex {
namespace {

using namespace std::chrono_literals;

TEST(UploadOnMoto, WrongCredentialsAreExitTwoAndUploadNothing) {
  int code = -1;
  apex::test::run_command("command -v moto_server >/dev/null 2>&1", &code);
  if (code != 0) GTEST_SKIP() << "moto_server is not installed (pip install 'moto[server]')";
  const auto dir = apex::test::upload::fresh_dir("apex-upload-moto");
  const int port = apex::test::free_loopback_port();
  apex::test::LoopbackProcess moto({"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port)},
                                   {{"INITIAL_NO_AUTH_ACTION_COUNT", "3"}}, dir / "moto.log");
  std::string why;
  if (!moto.started() || !moto.wait_for_port(port, 30s, &why)) GTEST_SKIP() << "moto did not start: " << why;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
  auto script = apex::test::source_dir() / "tests" / "integration" / "moto_create_user.py";
  auto out =
      apex::test::run_command("python3 '" + script.string() + "' " + endpoint + " " +
                                  apex::test::upload::kUploadBucket + " 2>" + (dir / "setup.log").string(),
                              &code);
  ASSERT_EQ(code, 0) << out;
  auto keys = nlohmann::json::parse(out);
  const std::string access_key = keys["access_key_id"];
  const std::string secret = keys["secret_access_key"];

  apex::test::upload::write_file(dir / "tree" / "Race 1" / "a.csv", "1,2\n");
  std::map<std::string, std::string> env{{"S3_ENDPOINT_URL", endpoint},
                                         {"S3_BUCKET_NAME", apex::test::upload::kUploadBucket},
                                         {"AWS_ACCESS_KEY_ID", access_key},
                                         {"AWS_SECRET_ACCESS_KEY", secret + "-wrong"}};
  auto wrong_secret = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(wrong_secret.code, 2) << wrong_secret.output;
  EXPECT_NE(wrong_secret.output.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << wrong_secret.output;
  EXPECT_EQ(wrong_secret.output.find(secret), std::string::npos) << "never print the secret";

  env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000";
  auto unknown_key = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(unknown_key.code, 2) << unknown_key.output;
  EXPECT_NE(unknown_key.output.find("AWS_ACCESS_KEY_ID"), std::string::npos) << unknown_key.output;

  S3Settings right;
  right.bucket = apex::test::upload::kUploadBucket;
  right.access_key_id = access_key;
  right.secret_access_key = secret;
  right.prefix = "";
  right.endpoint_url = endpoint;
  S3Store store(right);
  auto listing = store.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  EXPECT_TRUE(listing->objects.empty()) << "nothing was uploaded";

  // With the right key the same tree goes up (no prefix: moto's checker mis-signs '/' in queries).
  env["AWS_ACCESS_KEY_ID"] = access_key;
  env["AWS_SECRET_ACCESS_KEY"] = secret;
  auto ok = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(ok.code, 0) << ok.output;
  auto after = store.list("", std::nullopt);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->objects.size(), 1u);
  EXPECT_EQ(after->objects[0].key, "Race 1/a.csv");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace apex
