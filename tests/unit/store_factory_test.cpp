#include "storage/store_factory.h"

#include <gtest/gtest.h>

#include "storage/local_store.h"
#include "storage/s3_store.h"

namespace apex {
namespace {

TEST(StoreFactory, LocalFolderByDefault) {
  Config config;
  config.data_dir = "some/data";
  auto store = make_object_store(config);
  ASSERT_TRUE(store);
  ASSERT_NE(dynamic_cast<LocalStore*>(store->get()), nullptr);
  EXPECT_EQ((*store)->describe(), "local folder some/data");
}

TEST(StoreFactory, S3WhenEnabled) {
  Config config;
  config.s3.enabled = true;
  config.s3.bucket = "apex-racing-data";
  config.s3.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  config.s3.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  config.s3.endpoint_url = "http://127.0.0.1:9000";
  auto store = make_object_store(config);
  ASSERT_TRUE(store);
  auto* s3 = dynamic_cast<S3Store*>(store->get());
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->describe(), "s3://apex-racing-data/data/ at http://127.0.0.1:9000");
  EXPECT_EQ(s3->endpoint(), "http://127.0.0.1:9000");
}

}  // namespace
}  // namespace apex
