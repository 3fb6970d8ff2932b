#include <gtest/gtest.h>

#include <filesystem>

#include "storage/local_store.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

TEST(ValidateKey, RejectsKeysThatEscapeTheRoot) {
  EXPECT_TRUE(validate_key("barber/R1_barber_lap_end.csv"));
  EXPECT_TRUE(validate_key("COTA/Race 1/COTA_lap_time_R1.csv"));
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a\\b", "a/"})
    EXPECT_FALSE(validate_key(bad)) << bad;
}

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
    } else {
      root_ = std::filesystem::temp_directory_path() /
              ("apex-local-store-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(root_);
      std::filesystem::create_directories(root_);
      store_ = std::make_unique<LocalStore>(root_);
    }
  }
  void TearDown() override {
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  std::filesystem::path root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(StoreContract, WriteReadStatRemove) {
  ASSERT_TRUE(store_->write_all("t/Race 1/a b.csv", "hello, world"));
  auto info = store_->stat("t/Race 1/a b.csv");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 12u);
  EXPECT_FALSE(info->version.empty());
  EXPECT_EQ(*store_->read_all("t/Race 1/a b.csv"), "hello, world");

  std::string part;
  ASSERT_TRUE(store_->read("t/Race 1/a b.csv", ByteRange{7, 5}, [&](std::string_view c) -> Status {
    part.append(c);
    return {};
  }));
  EXPECT_EQ(part, "world");

  ASSERT_TRUE(store_->remove("t/Race 1/a b.csv"));
  auto gone = store_->stat("t/Race 1/a b.csv");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
}

TEST_P(StoreContract, MissingObjectIsNotFound) {
  auto r = store_->read_all("nope/missing.csv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

TEST_P(StoreContract, ListingRollsUpLikeS3) {
  for (const char* key : {"a/x.csv", "a/y/z.csv", "b/Race 1/c.csv", "top.txt"})
    ASSERT_TRUE(store_->write_all(key, "1"));
  auto all = store_->list("", std::nullopt);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->objects.size(), 4u);
  EXPECT_EQ(all->objects[0].key, "a/x.csv");

  auto top = store_->list("", '/');
  ASSERT_TRUE(top);
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  ASSERT_EQ(top->objects.size(), 1u);
  EXPECT_EQ(top->objects[0].key, "top.txt");

  auto in_a = store_->list("a/", '/');
  ASSERT_TRUE(in_a);
  EXPECT_EQ(in_a->common_prefixes, (std::vector<std::string>{"a/y/"}));
  ASSERT_EQ(in_a->objects.size(), 1u);
}

TEST_P(StoreContract, VersionChangesWithContent) {
  ASSERT_TRUE(store_->write_all("v.csv", "one"));
  auto first = store_->stat("v.csv");
  ASSERT_TRUE(store_->write_all("v.csv", "three"));
  auto second = store_->stat("v.csv");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->version, second->version);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("memory", "local"));

}  // namespace
}  // namespace apex
