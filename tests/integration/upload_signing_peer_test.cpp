// apex upload against each server that checks signatures (signing_peer.h): wrong
// credentials stop the run before a byte is sent, with exit code 2; the right ones upload.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signing_peer.h"
#include "storage/s3_store.h"
#include "upload_test_support.h"

namespace apex {
namespace {

class UploadOnSigningPeer : public ::testing::TestWithParam<std::string> {};

TEST_P(UploadOnSigningPeer, WrongCredentialsAreExitTwoAndUploadNothing) {
  apex::test::SigningPeer peer(GetParam(), apex::test::upload::kUploadBucket);
  if (!peer.skip_reason().empty()) GTEST_SKIP() << peer.skip_reason();
  ASSERT_TRUE(peer.error().empty()) << peer.error();
  const auto dir = apex::test::upload::fresh_dir("apex-upload-signing-peer");
  const std::string secret = peer.secret_access_key();
  S3Settings right = peer.settings();
  right.prefix = "";

  apex::test::upload::write_file(dir / "tree" / "Race 1" / "a.csv", "1,2\n");
  std::map<std::string, std::string> env{{"S3_ENDPOINT_URL", peer.endpoint()},
                                         {"S3_BUCKET_NAME", apex::test::upload::kUploadBucket},
                                         {"AWS_ACCESS_KEY_ID", peer.access_key_id()},
                                         {"AWS_SECRET_ACCESS_KEY", secret + "-wrong"}};
  auto wrong_secret = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(wrong_secret.code, 2) << wrong_secret.output;
  EXPECT_NE(wrong_secret.output.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << wrong_secret.output;
  EXPECT_EQ(wrong_secret.output.find(secret), std::string::npos) << "never print the secret";

  env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000";
  auto unknown_key = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(unknown_key.code, 2) << unknown_key.output;
  EXPECT_NE(unknown_key.output.find("AWS_ACCESS_KEY_ID"), std::string::npos) << unknown_key.output;

  S3Store store(right);
  auto listing = store.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  EXPECT_TRUE(listing->objects.empty()) << "nothing was uploaded";

  // With the right key the same tree goes up (no prefix: moto's checker mis-signs '/' in queries).
  env["AWS_ACCESS_KEY_ID"] = peer.access_key_id();
  env["AWS_SECRET_ACCESS_KEY"] = secret;
  auto ok = apex::test::upload::run_apex("upload tree --prefix ''", env, dir);
  EXPECT_EQ(ok.code, 0) << ok.output;
  auto after = store.list("", std::nullopt);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->objects.size(), 1u);
  EXPECT_EQ(after->objects[0].key, "Race 1/a.csv");
  if (auto seen = peer.signatures()) {
    EXPECT_GT(seen->at("accepted").value(peer.access_key_id(), 0), 0) << seen->dump();
    for (const auto& refused : seen->at("refused"))
      EXPECT_TRUE(refused["code"] == "SignatureDoesNotMatch" || refused["key"] == "AKIAUNKNOWNKEY000000")
          << refused.dump();
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Peers, UploadOnSigningPeer, ::testing::Values("botocore", "moto"),
                         [](const auto& peer) { return peer.param; });

}  // namespace
}  // namespace apex
