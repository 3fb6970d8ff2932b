// S3Store against real S3 protocol servers on loopback, started by the suites themselves:
// s3rver (npm, tests/node_modules) behind the botocore SigV4 verifying proxy for the
// ObjectStore contract, multipart and error classification; signatures and credentials
// against each peer that checks them (signing_peer.h).
#include "storage/s3_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "loopback_process.h"
#include "s3rver_process.h"
#include "signing_peer.h"
#include "storage/content_digest.h"
#include "storage/local_store.h"
#include "storage/parallel_read.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kBucket = "apex-test";

std::string current_test_name() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

fs::path fresh_temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string bytes(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = random();
    std::memcpy(bytes.data() + i, &v, 8);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------
// s3rver, once for the suite.

class S3StoreOnS3rver : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s3rver_ = std::make_unique<apex::test::S3rverProcess>(kBucket, "apex-s3rver");
    startup_error_ = s3rver_->error();
  }

  static void TearDownTestSuite() { s3rver_.reset(); }

  void SetUp() override {
    if (!startup_error_.empty()) GTEST_FAIL() << startup_error_;
  }

  static S3Settings settings(const std::string& prefix) { return s3rver_->settings(prefix); }

  // Each test works under its own prefix, so tests share the bucket without clashing.
  std::unique_ptr<S3Store> store(S3StoreOptions options = {}) {
    return std::make_unique<S3Store>(settings("data/" + current_test_name() + "/"), options);
  }

  static inline std::unique_ptr<apex::test::S3rverProcess> s3rver_;
  static inline std::string startup_error_;
};

// The contract of tests/unit/storage_test.cpp, now over the S3 protocol.
TEST_F(S3StoreOnS3rver, WriteReadStatRemove) {
  auto s3 = store();
  ASSERT_TRUE(s3->write_all("t/Race 1/a b.csv", "hello, world"));
  auto info = s3->stat("t/Race 1/a b.csv");
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->key, "t/Race 1/a b.csv");
  EXPECT_EQ(info->size, 12u);
  EXPECT_EQ(info->version, md5_hex("hello, world"));
  EXPECT_EQ(*s3->read_all("t/Race 1/a b.csv"), "hello, world");

  std::string part;
  ASSERT_TRUE(s3->read("t/Race 1/a b.csv", ByteRange{7, 5}, [&](std::string_view c) -> Status {
    part.append(c);
    return {};
  }));
  EXPECT_EQ(part, "world");

  ASSERT_TRUE(s3->remove("t/Race 1/a b.csv"));
  auto gone = s3->stat("t/Race 1/a b.csv");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  auto again = s3->remove("t/Race 1/a b.csv");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::NotFound);
}

TEST_F(S3StoreOnS3rver, MissingObjectIsNotFound) {
  auto s3 = store();
  auto r = s3->read_all("nope/missing.csv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
  EXPECT_NE(r.error().message.find("s3://apex-test/data/MissingObjectIsNotFound/nope/missing.csv"),
            std::string::npos)
      << r.error().message;
  auto info = s3->stat("nope/missing.csv");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::NotFound);
}

TEST_F(S3StoreOnS3rver, ListingRollsUpLikeS3) {
  auto s3 = store();
  for (const char* key : {"a/x.csv", "a/y/z.csv", "b/Race 1/c.csv", "top.txt"})
    ASSERT_TRUE(s3->write_all(key, "1"));
  auto all = s3->list("", std::nullopt);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->objects.size(), 4u);
  EXPECT_EQ(all->objects[0].key, "a/x.csv");
  EXPECT_EQ(all->objects[0].version, md5_hex("1"));

  // "b/" holds no object directly: s3rver's own delimiter listing would drop it, so against
  // an S3-compatible endpoint the store rolls up a full listing itself.
  auto top = s3->list("", '/');
  ASSERT_TRUE(top) << top.error().describe();
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  ASSERT_EQ(top->objects.size(), 1u);
  EXPECT_EQ(top->objects[0].key, "top.txt");

  auto in_a = s3->list("a/", '/');
  ASSERT_TRUE(in_a);
  EXPECT_EQ(in_a->common_prefixes, (std::vector<std::string>{"a/y/"}));
  ASSERT_EQ(in_a->objects.size(), 1u);
}

TEST_F(S3StoreOnS3rver, ServerSideDelimiterListing) {
  S3StoreOptions options;
  options.delimiter_mode = S3StoreOptions::DelimiterMode::Server;
  auto s3 = store(options);
  for (const char* key : {"a/x.csv", "a/y/z.csv", "c/w.csv", "top.txt"}) ASSERT_TRUE(s3->write_all(key, "1"));
  auto top = s3->list("", '/');
  ASSERT_TRUE(top) << top.error().describe();
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "c/"}));
  ASSERT_EQ(top->objects.size(), 1u);
  EXPECT_EQ(top->objects[0].key, "top.txt");
}

TEST_F(S3StoreOnS3rver, VersionChangesWithContent) {
  auto s3 = store();
  ASSERT_TRUE(s3->write_all("v.csv", "one"));
  auto first = s3->stat("v.csv");
  ASSERT_TRUE(s3->write_all("v.csv", "three"));
  auto second = s3->stat("v.csv");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->version, second->version);
}

TEST_F(S3StoreOnS3rver, KeysWithSpacesUnicodeAndPunctuation) {
  auto s3 = store();
  const std::vector<std::string> keys = {"COTA/Race 1/Ünïcode file.csv", "COTA/Race 1/a+b=c&d$e (1).csv",
                                         "COTA/Race 2/100% done ~ ok.csv", "Road America/Race 1/résumé.csv"};
  for (const auto& key : keys) ASSERT_TRUE(s3->write_all(key, "bytes of " + key)) << key;
  for (const auto& key : keys) {
    auto bytes = s3->read_all(key);
    ASSERT_TRUE(bytes) << key << ": " << bytes.error().describe();
    EXPECT_EQ(*bytes, "bytes of " + key);
  }
  auto listing = s3->list("COTA/Race 1/", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  ASSERT_EQ(listing->objects.size(), 2u);
  EXPECT_EQ(listing->objects[0].key, "COTA/Race 1/a+b=c&d$e (1).csv");
  EXPECT_EQ(listing->objects[1].key, "COTA/Race 1/Ünïcode file.csv");
  auto top = s3->list("", '/');
  ASSERT_TRUE(top);
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"COTA/", "Road America/"}));
}

// Ranges answer exactly as LocalStore does, edge cases included.
TEST_F(S3StoreOnS3rver, RangesMatchTheLocalStore) {
  auto s3 = store();
  auto local_dir = fresh_temp_dir("apex-s3-ranges");
  LocalStore local(local_dir);
  const std::string bytes = random_bytes(10'000, 7);
  ASSERT_TRUE(s3->write_all("r.bin", bytes));
  ASSERT_TRUE(local.write_all("r.bin", bytes));
  auto read_range = [](ObjectStore& store, ByteRange range) -> Result<std::string> {
    std::string out;
    auto status = store.read("r.bin", range, [&](std::string_view c) -> Status {
      out.append(c);
      return {};
    });
    if (!status) return std::unexpected(status.error());
    return out;
  };
  const std::vector<ByteRange> ranges = {
      {0, std::nullopt}, {0, 1},      {9'999, std::nullopt},  {9'000, 5'000},
      {123, 4'567},      {10'000, 1}, {10'000, std::nullopt}, {10'001, 1},
      {500, 0},          {20'000, 0}};
  for (const auto& range : ranges) {
    SCOPED_TRACE("offset " + std::to_string(range.offset) + " length " +
                 (range.length ? std::to_string(*range.length) : "rest"));
    auto from_s3 = read_range(*s3, range);
    auto from_disk = read_range(local, range);
    ASSERT_EQ(bool(from_s3), bool(from_disk))
        << (from_s3 ? from_disk.error().describe() : from_s3.error().describe());
    if (from_s3) {
      EXPECT_TRUE(*from_s3 == *from_disk);
    } else {
      EXPECT_EQ(from_s3.error().kind, from_disk.error().kind) << from_s3.error().describe();
    }
  }
  fs::remove_all(local_dir);
}

// A telemetry file read from s3rver in ranges, each parsed by the curl thread that receives
// it, gives the model of the same file parsed from disk (and the TSan build runs it).
TEST_F(S3StoreOnS3rver, TelemetryLoadedInRangesEqualsTheParseFromDisk) {
  const fs::path dir = apex::test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1";
  const std::string name = "sonoma_telemetry_R1.csv";
  LocalStore local(dir);
  auto from_disk = load_telemetry(local, name);
  ASSERT_TRUE(from_disk.has_value()) << from_disk.error().describe();
  auto bytes = local.read_all(name);
  ASSERT_TRUE(bytes.has_value());
  auto s3 = store();
  ASSERT_TRUE(s3->write_all(name, *bytes));
  auto plan = plan_ranges(*s3, name, ParallelReadOptions{256u << 10, 0});
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->readers, s3->parallel_reads());
  EXPECT_GT(plan->ranges, 4u);
  auto from_s3 = load_telemetry(*s3, name, {}, ParallelReadOptions{256u << 10, 0});
  ASSERT_TRUE(from_s3.has_value()) << from_s3.error().describe();
  EXPECT_TRUE(*from_s3 == *from_disk);
  EXPECT_GT(from_s3->samples(), 10000u);
}

// More than 1000 keys, written from four threads through one store (thread safety), listed
// in pages of 100 and in s3rver's own pages of 1000: every key exactly once, in order.
TEST_F(S3StoreOnS3rver, PaginationOverMoreThanAThousandKeys) {
  S3StoreOptions options;
  auto s3 = store(options);
  constexpr int kKeys = 1050;
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += kThreads) {
        char key[64];
        std::snprintf(key, sizeof key, "track-%d/Race %d/file %04d.csv", i % 3, i % 2 + 1, i);
        if (!s3->write_all(key, std::to_string(i))) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  options.list_page_size = 100;
  auto small_pages = store(options);
  for (auto* s : {s3.get(), small_pages.get()}) {
    auto listing = s->list("", std::nullopt);
    ASSERT_TRUE(listing) << listing.error().describe();
    ASSERT_EQ(listing->objects.size(), static_cast<std::size_t>(kKeys));
    std::set<std::string> unique;
    for (const auto& object : listing->objects) unique.insert(object.key);
    EXPECT_EQ(unique.size(), static_cast<std::size_t>(kKeys));
    EXPECT_TRUE(std::is_sorted(listing->objects.begin(), listing->objects.end(),
                               [](const auto& a, const auto& b) { return a.key < b.key; }));
    auto tracks = s->list("", '/');
    ASSERT_TRUE(tracks);
    EXPECT_EQ(tracks->common_prefixes, (std::vector<std::string>{"track-0/", "track-1/", "track-2/"}));
  }
}

TEST_F(S3StoreOnS3rver, MultipartUploadRoundTripsExactly) {
  S3StoreOptions options;
  options.multipart_threshold = 6 * kMebibyte;
  options.part_size = 5 * kMebibyte;  // S3's minimum: 12 MiB goes up as 5 + 5 + 2
  auto s3 = store(options);
  const std::string bytes = random_bytes(12 * kMebibyte + 12'345, 11);
  std::size_t pos = 0;
  std::size_t calls = 0;
  // A source that hands out odd-sized pieces, as a file reader might.
  ASSERT_TRUE(s3->write("big/telemetry.csv", [&](char* buf, std::size_t capacity) -> Result<std::size_t> {
    std::size_t n = std::min({capacity, bytes.size() - pos, std::size_t{777'777}});
    std::memcpy(buf, bytes.data() + pos, n);
    pos += n;
    ++calls;
    return n;
  }));
  auto info = s3->stat("big/telemetry.csv");
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->size, bytes.size());
  auto back = s3->read_all("big/telemetry.csv");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->size(), bytes.size());
  EXPECT_TRUE(*back == bytes);
  EXPECT_EQ(sha256_hex(*back), sha256_hex(bytes));
}

TEST_F(S3StoreOnS3rver, ConditionalReadRevalidatesWithOneRequest) {
  auto s3 = store();
  ASSERT_TRUE(s3->write_all("cached.csv", "lap,time\n1,97.1\n"));
  std::string read;
  auto sink = [&](std::string_view chunk) -> Status {
    read.append(chunk);
    return {};
  };
  auto first = s3->read_if_changed("cached.csv", "", sink);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(read, "lap,time\n1,97.1\n");
  read.clear();
  auto unchanged = s3->read_if_changed("cached.csv", first->info.version, sink);
  ASSERT_TRUE(unchanged) << unchanged.error().describe();
  EXPECT_FALSE(unchanged->changed);
  EXPECT_EQ(read, "");
  ASSERT_TRUE(s3->write_all("cached.csv", "lap,time\n1,96.9\n"));
  auto changed = s3->read_if_changed("cached.csv", first->info.version, sink);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(changed->changed);
  EXPECT_EQ(read, "lap,time\n1,96.9\n");
  EXPECT_NE(changed->info.version, first->info.version);
}

TEST_F(S3StoreOnS3rver, MissingBucketNamesBucketAndRegion) {
  auto s = settings("data/");
  s.bucket = "no-such-bucket";
  S3Store s3(s);
  auto read = s3.read_all("x.csv");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::BucketMissing);
  EXPECT_NE(read.error().message.find("no-such-bucket"), std::string::npos) << read.error().message;
  EXPECT_NE(read.error().message.find("us-east-1"), std::string::npos) << read.error().message;
  EXPECT_NE(read.error().message.find("S3_BUCKET_NAME"), std::string::npos) << read.error().message;
  auto listing = s3.list("", std::nullopt);
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.error().kind, ErrorKind::BucketMissing);
  auto info = s3.stat("x.csv");  // HEAD has no body: the store asks about the bucket
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::BucketMissing);
}

TEST_F(S3StoreOnS3rver, UnknownAccessKeyIsAuthFailedWithoutTheSecret) {
  auto s = settings("data/");
  s.access_key_id = "AKIANOTAREALKEY12345";
  s.secret_access_key = "Do-Not-Print/This+Secret";
  S3Store s3(s);
  auto listing = s3.list("", std::nullopt);
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.error().kind, ErrorKind::AuthFailed);
  EXPECT_NE(listing.error().message.find("InvalidAccessKeyId"), std::string::npos) << listing.error().message;
  EXPECT_NE(listing.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << listing.error().message;
  auto read = s3.read_all("x.csv");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, ErrorKind::AuthFailed);
  for (const auto* error : {&listing.error(), &read.error()}) {
    EXPECT_EQ(error->message.find("Do-Not-Print"), std::string::npos) << error->message;
    EXPECT_EQ(error->describe().find("This+Secret"), std::string::npos);
  }
}

// Without keys the store sends unsigned requests, as for a public bucket; s3rver serves
// anonymous reads.
TEST_F(S3StoreOnS3rver, AnonymousRequestsAreUnsigned) {
  ASSERT_TRUE(store()->write_all("public.csv", "x"));
  auto s = settings("data/" + current_test_name() + "/");
  s.access_key_id.clear();
  s.secret_access_key.clear();
  S3Store anonymous(s);
  auto bytes = anonymous.read_all("public.csv");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(*bytes, "x");
}

// ---------------------------------------------------------------------------------------
// Servers that check the signature for real: s3rver behind the botocore verifying proxy
// (everywhere), and moto in IAM auth mode (where it is installed).

class S3StoreOnSigningPeer : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { peers_.clear(); }

  void SetUp() override {
    auto& peer = peers_[GetParam()];
    if (!peer) peer = std::make_unique<apex::test::SigningPeer>(GetParam(), kBucket);
    if (!peer->skip_reason().empty()) GTEST_SKIP() << peer->skip_reason();
    if (!peer->error().empty()) GTEST_FAIL() << peer->error();
    peer_ = peer.get();
  }

  S3Settings settings() const { return peer_->settings(); }
  // The requests the botocore proxy accepted from `key`, and the codes it refused it with;
  // nothing for moto.
  int accepted_from(const std::string& key) const {
    auto seen = peer_->signatures();
    return seen ? seen->at("accepted").value(key, 0) : -1;
  }
  std::set<std::string> refusals_of(const std::string& key) const {
    std::set<std::string> codes;
    if (auto seen = peer_->signatures())
      for (const auto& refused : seen->at("refused"))
        if (refused["key"] == key) codes.insert(refused["code"].get<std::string>());
    return codes;
  }

  apex::test::SigningPeer* peer_ = nullptr;
  std::map<std::uint64_t, std::size_t> offsets_;  // bytes each range has delivered
  static inline std::map<std::string, std::unique_ptr<apex::test::SigningPeer>> peers_;
};

INSTANTIATE_TEST_SUITE_P(Peers, S3StoreOnSigningPeer, ::testing::Values("botocore", "moto"),
                         [](const auto& peer) { return peer.param; });

TEST_P(S3StoreOnSigningPeer, CorrectSignaturesAreAccepted) {
  S3StoreOptions options;
  options.multipart_threshold = 6 * kMebibyte;
  options.part_size = 5 * kMebibyte;
  S3Store s3(settings(), options);
  ASSERT_TRUE(s3.write_all("laps.csv", "lap,time\n1,97.123\n"));
  auto bytes = s3.read_all("laps.csv");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(*bytes, "lap,time\n1,97.123\n");
  auto info = s3.stat("laps.csv");
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->size, 18u);
  auto listing = s3.list("", std::nullopt);
  ASSERT_TRUE(listing) << listing.error().describe();
  EXPECT_FALSE(listing->objects.empty());
  const std::string big = random_bytes(11 * kMebibyte, 3);
  ASSERT_TRUE(s3.write_all("big.bin", big));
  auto big_back = s3.read_all("big.bin");
  ASSERT_TRUE(big_back) << big_back.error().describe();
  EXPECT_TRUE(*big_back == big);
  ASSERT_TRUE(s3.remove("laps.csv"));
  if (!peer_->is_moto()) {
    // Every request above was checked and signed by this peer's key (the multipart upload
    // alone is three or more).
    EXPECT_GE(accepted_from(apex::test::kProxyAccessKey), 9);
    EXPECT_TRUE(refusals_of(apex::test::kProxyAccessKey).empty());
    EXPECT_EQ(peer_->signatures()->at("anonymous"), 0) << "every request was signed";
  }
}

// A store that keeps checksums (moto, like S3) answers the CRC32C a PUT carried, and a read
// in parallel ranges is verified by combining the ranges' CRCs: a real store's answers, not
// a scripted one's.
TEST_P(S3StoreOnSigningPeer, ParallelRangesAreVerifiedByTheStoredCrc32c) {
  if (!peer_->is_moto()) GTEST_SKIP() << "the botocore proxy forwards to s3rver, which keeps no checksums";
  const std::string big = random_bytes(3 * kMebibyte, 5);
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("apex-crc-" + std::to_string(::getpid()) + ".bin");
  { std::ofstream(file, std::ios::binary) << big; }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ContentDigest crc(DigestAlgorithm::Crc32c);
  crc.update(big);
  S3Store s3(settings());
  auto put = s3.put_file("crc.bin", FileSlice{fd, 0, big.size()},
                         BodyChecksum{DigestAlgorithm::Crc32c, crc.finish()}, PutOptions{});
  ::close(fd);
  std::filesystem::remove(file);
  ASSERT_TRUE(put) << put.error().describe();
  auto plan = plan_ranges(s3, "crc.bin", ParallelReadOptions{512 * 1024, 4});
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_FALSE(plan->checksums.crc32c.empty()) << "moto answered no x-amz-checksum-crc32c";
  ASSERT_GT(plan->ranges, 1u);
  std::string joined(big.size(), '\0');
  std::mutex mutex;
  auto read = read_ranges_in_parallel(s3, "crc.bin", *plan, [&](const RangePiece& piece) -> Status {
    std::lock_guard lock(mutex);
    auto& at = offsets_[piece.range];
    std::copy(piece.bytes.begin(), piece.bytes.end(),
              joined.begin() + static_cast<std::ptrdiff_t>(piece.range * plan->range_bytes + at));
    at += piece.bytes.size();
    return {};
  });
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_TRUE(joined == big);
  // The same plan with another object's checksum: the combination catches it.
  plan->checksums.crc32c[0] = static_cast<char>(plan->checksums.crc32c[0] ^ 0x01);
  offsets_.clear();
  auto wrong = read_ranges_in_parallel(s3, "crc.bin", *plan, [&](const RangePiece& piece) -> Status {
    std::lock_guard lock(mutex);
    offsets_[piece.range] += piece.bytes.size();
    return {};
  });
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("CRC32C"), std::string::npos) << wrong.error().message;
}

TEST_P(S3StoreOnSigningPeer, WrongSecretIsAuthFailedNamingTheSecretVariable) {
  auto s = settings();
  s.secret_access_key = "Wrong-Secret/Never+Shown";
  S3Store s3(s);
  auto bytes = s3.read_all("laps.csv");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind, ErrorKind::AuthFailed);
  EXPECT_NE(bytes.error().message.find("SignatureDoesNotMatch"), std::string::npos) << bytes.error().message;
  EXPECT_NE(bytes.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << bytes.error().message;
  EXPECT_EQ(bytes.error().message.find("Wrong-Secret"), std::string::npos) << bytes.error().message;
  EXPECT_EQ(bytes.error().message.find(peer_->secret_access_key()), std::string::npos);
  auto written = s3.write_all("other.csv", "x");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, ErrorKind::AuthFailed);
  auto info = s3.stat("laps.csv");  // HEAD: no error body, still AuthFailed
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::AuthFailed);
  EXPECT_EQ(info.error().message.find("Wrong-Secret"), std::string::npos) << info.error().message;
  if (!peer_->is_moto()) {
    EXPECT_EQ(refusals_of(s.access_key_id), std::set<std::string>{"SignatureDoesNotMatch"});
  }
}

TEST_P(S3StoreOnSigningPeer, UnknownAccessKeyIsAuthFailedNamingTheKeyVariable) {
  auto s = settings();
  s.access_key_id = "AKIAUNKNOWNKEY000000";
  S3Store s3(s);
  auto listing = s3.list("", std::nullopt);
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.error().kind, ErrorKind::AuthFailed);
  EXPECT_NE(listing.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << listing.error().message;
  EXPECT_EQ(listing.error().message.find(peer_->secret_access_key()), std::string::npos);
  if (!peer_->is_moto()) {
    EXPECT_EQ(refusals_of("AKIAUNKNOWNKEY000000"), std::set<std::string>{"InvalidAccessKeyId"});
  }
}

// Temporary credentials sign with their session token: the request carries it, signed.
// Without it, the same keys are refused as S3 refuses them.
TEST_P(S3StoreOnSigningPeer, SessionTokenIsSentAndSigned) {
  if (peer_->is_moto())
    GTEST_SKIP() << "moto's IAM user has no session token; the botocore proxy checks tokens";
  auto s = settings();
  s.access_key_id = apex::test::kProxyTokenKey;
  s.secret_access_key = apex::test::kProxyTokenSecret;
  s.session_token = apex::test::kProxySessionToken;
  S3Store with_token(s);
  ASSERT_TRUE(with_token.write_all("token.csv", "x")) << "signed with the token";
  auto bytes = with_token.read_all("token.csv");
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(accepted_from(apex::test::kProxyTokenKey), 2);

  s.session_token.clear();
  S3Store without_token(s);
  auto refused = without_token.read_all("token.csv");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::AuthFailed);
  EXPECT_EQ(refused.error().message.find(apex::test::kProxyTokenSecret), std::string::npos);
  EXPECT_EQ(refusals_of(apex::test::kProxyTokenKey), std::set<std::string>{"InvalidToken"});
}

}  // namespace
}  // namespace apex
