// The same random data tree written to a LocalStore and to an S3Store (s3rver on loopback,
// a fresh prefix per case) gives the same listings, the same catalog and the same analysis
// JSON; listing returns every key exactly once across pages; and boto3 reads S3Store's
// objects back byte for byte and the other way round.
//
// Each case writes up to a few hundred kilobytes (and sometimes more than 1000 keys) to a
// real server, so this runs 10 cases, not RapidCheck's default 100: the run goes through
// rc::detail::checkTestable with maxSuccess 10, keeping the seed and the rest of RC_PARAMS
// (RC_PARAMS="seed=..." reproduces a failure).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "integration/s3rver_process.h"
#include "load/session_loader.h"
#include "server/json_views.h"
#include "storage/local_store.h"
#include "storage/s3_store.h"
// This binary does not compile tests/integration/, whose LoopbackProcess starts s3rver.
#include "integration/loopback_process.cpp"

namespace apex {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kTreeCases = 10;

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One race's timing files from the committed data, to copy under generated names.
struct RaceFiles {
  std::string lap_start, lap_end, lap_time, sections;
};

std::vector<RaceFiles> sample_races() {
  auto data = test::source_dir() / "data";
  auto barber = data / "barber-motorsports-park" / "barber";
  auto sonoma = data / "sonoma-raceway" / "Sonoma";
  std::vector<RaceFiles> races;
  for (int n : {1, 2}) {
    std::string r = std::to_string(n);
    races.push_back(
        {file_bytes(barber / ("R" + r + "_barber_lap_start.csv")),
         file_bytes(barber / ("R" + r + "_barber_lap_end.csv")),
         file_bytes(barber / ("R" + r + "_barber_lap_time.csv")),
         file_bytes(barber / ("23_AnalysisEnduranceWithSections_Race " + r + "_Anonymized.CSV"))});
    auto folder = sonoma / ("Race " + r);
    races.push_back(
        {file_bytes(folder / ("sonoma_lap_start_time_R" + r + ".csv")),
         file_bytes(folder / ("sonoma_lap_end_time_R" + r + ".csv")),
         file_bytes(folder / ("sonoma_lap_time_R" + r + ".csv")),
         file_bytes(folder / ("23_AnalysisEnduranceWithSections_Race " + r + "_Anonymized.CSV"))});
  }
  return races;
}

// A path segment with spaces and non-ASCII letters, never "." or "..".
rc::Gen<std::string> gen_name() {
  static const std::vector<std::string> pieces = {"a", "b", "k", "Z",  "7", " ", "-",
                                                  "_", "é", "ü", "東", "ñ", "ø", "(1)"};
  // At most 12 pieces: names stay far below the 255-byte limit of a file name on disk.
  return rc::gen::map(
      rc::gen::resize(12, rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces))),
      [](const std::vector<std::string>& parts) {
        std::string name = "n";  // never empty
        for (const auto& p : parts) name += p;
        return name;
      });
}

using Tree = std::map<std::string, std::string>;  // key -> bytes

// True one time in n. RapidCheck scales inRange with the case's size (small early cases
// would always get the lower bound), so draw at full size.
bool one_in(int n) {
  return *rc::gen::resize(100, rc::gen::inRange(0, n)) == 0;
}

Tree gen_tree(const std::vector<RaceFiles>& races) {
  Tree tree;
  if (one_in(25)) return tree;  // an empty data root: an empty bucket, an empty folder
  int track_count = *rc::gen::resize(100, rc::gen::inRange(1, 4));
  std::set<std::string> track_names;
  while (static_cast<int>(track_names.size()) < track_count) track_names.insert(*gen_name());
  for (const auto& track : track_names) {
    int layout = *rc::gen::resize(100, rc::gen::inRange(0, 3));  // flat, Sub/Race N/, Race N/
    std::string sub = *gen_name();
    std::string token = *rc::gen::elementOf(std::vector<std::string>{"barber", "sonoma", "cota", "vir"});
    bool sonoma_names = *rc::gen::arbitrary<bool>();
    for (int race = 1; race <= 2; ++race) {
      if (race == 2 && one_in(3)) continue;
      std::string r = std::to_string(race);
      std::string folder = layout == 0   ? track + "/"
                           : layout == 1 ? track + "/" + sub + "/Race " + r + "/"
                                         : track + "/Race " + r + "/";
      const RaceFiles& source = races[*rc::gen::resize(100, rc::gen::inRange<std::size_t>(0, races.size()))];
      auto maybe = [&](const std::string& name, const std::string& bytes) {
        if (!one_in(5)) tree[folder + name] = bytes;
      };
      if (sonoma_names) {
        maybe(token + "_lap_start_time_R" + r + ".csv", source.lap_start);
        maybe(token + "_lap_end_time_R" + r + ".csv", source.lap_end);
        maybe(token + "_lap_time_R" + r + ".csv", source.lap_time);
      } else {
        maybe("R" + r + "_" + token + "_lap_start.csv", source.lap_start);
        maybe("R" + r + "_" + token + "_lap_end.csv", source.lap_end);
        maybe("R" + r + "_" + token + "_lap_time.csv", source.lap_time);
      }
      maybe("23_AnalysisEnduranceWithSections_Race " + r + "_Anonymized.CSV", source.sections);
    }
    // Junk: notes, thumbnails, garbage under timing-like names, empty files, at any depth.
    int junk = *rc::gen::inRange(0, 8);
    for (int i = 0; i < junk; ++i) {
      std::string dir = one_in(2) ? track + "/" : track + "/" + *gen_name() + "/";
      std::string ext = *rc::gen::elementOf(std::vector<std::string>{".txt", ".csv", ".CSV", ".json", ""});
      std::string name =
          *rc::gen::elementOf(std::vector<std::string>{*gen_name(), "R1_junk_lap_time", "Thumbs"});
      tree[dir + name + ext] =
          *rc::gen::resize(300, rc::gen::container<std::string>(rc::gen::arbitrary<char>()));
    }
  }
  if (one_in(4)) tree["README" + *gen_name() + ".md"] = "root file";
  // Sometimes more keys than one S3 listing page holds. Rare: such a case costs s3rver
  // 10-15 s; ListingReturnsEveryKeyOnceAcrossPages below always covers more than 1000 keys.
  if (one_in(20)) {
    std::string bulk = *track_names.begin() + "/bulk " + *gen_name() + "/";
    int count = *rc::gen::inRange(1001, 1060);
    for (int i = 0; i < count; ++i) tree[bulk + "part " + std::to_string(i) + ".bin"] = std::to_string(i);
  }
  // S3 holds "a/n" and "a/n/b" at once; a folder on disk cannot be a file too: keep the deeper.
  for (auto it = tree.begin(); it != tree.end();) {
    const std::string folder = it->first + "/";
    auto below = tree.lower_bound(folder);
    if (below != tree.end() && below->first.starts_with(folder))
      it = tree.erase(it);
    else
      ++it;
  }
  return tree;
}

// s3rver lists a folder's keys before the siblings whose names extend the folder's ("n/x"
// before "n(1)/y", though '(' sorts before '/'), and its pagination then skips keys (s3rver's
// bug: S3 lists in byte order). A tree whose two orders differ would test s3rver, not APEX.
bool s3rver_lists_in_byte_order(const Tree& tree) {
  std::vector<std::string> walk_order;
  for (const auto& [key, bytes] : tree) {
    std::string folder_first = key;
    std::replace(folder_first.begin(), folder_first.end(), '/', '\0');
    walk_order.push_back(std::move(folder_first));
  }
  return std::is_sorted(walk_order.begin(), walk_order.end());
}

// s3rver takes about 13 ms a PUT; a few connections at once keep a 1000-key tree quick.
std::string write_in_parallel(ObjectStore& store, const Tree& tree) {
  constexpr std::size_t kWriters = 6;
  std::vector<const std::pair<const std::string, std::string>*> items;
  for (const auto& item : tree) items.push_back(&item);
  std::atomic<std::size_t> next = 0;
  std::mutex mutex;
  std::string failure;
  std::vector<std::thread> writers;
  for (std::size_t w = 0; w < kWriters; ++w)
    writers.emplace_back([&] {
      for (std::size_t i = next++; i < items.size(); i = next++) {
        if (auto ok = store.write_all(items[i]->first, items[i]->second); !ok) {
          std::lock_guard lock(mutex);
          failure = "write " + items[i]->first + ": " + ok.error().describe();
        }
      }
    });
  for (auto& writer : writers) writer.join();
  return failure;
}

json catalog_summary(const Catalog& catalog) {
  json out = json::object();
  for (const auto& root : catalog.root_files()) out["root"].push_back({root.key, root.reason});
  for (const auto& track : catalog.tracks()) {
    json t = {{"id", track.id}};
    for (const auto& session : track.sessions) {
      json s = {{"id", session.id}, {"race", session.race}};
      for (const auto& [kind, object] : session.files)
        s["files"][std::string(to_string(kind))] = {object.key, object.size};
      for (const auto& alternate : session.alternates)
        s["alternates"].push_back({alternate.key, alternate.size});
      t["sessions"].push_back(s);
    }
    for (const auto& file : track.unrecognised) t["unrecognised"].push_back({file.key, file.reason});
    out["tracks"].push_back(t);
  }
  return out;
}

// What the API would answer for a session, or the error kind when it cannot be loaded
// (messages name the source, which differs by design).
json analysis_summary(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files) {
  auto session = load_session(store, track, files);
  if (!session) return {{"error", std::string(to_string(session.error().kind))}};
  auto analysis = analyse_session(*session);
  json drivers = json::array();
  for (const auto& driver : analysis.drivers) drivers.push_back(performance_json(driver));
  return {{"laps", laps_json(analysis.laps)},
          {"best", analysis.best_lap ? best_lap_json(analysis, track.id, files.id) : json(nullptr)},
          {"drivers", drivers}};
}

class S3TreeProperty : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s3rver_ = std::make_unique<test::S3rverProcess>("apex-prop", "apex-prop-s3rver");
  }
  static void TearDownTestSuite() { s3rver_.reset(); }
  void SetUp() override {
    if (!s3rver_->error().empty()) GTEST_FAIL() << s3rver_->error();
  }
  static inline std::unique_ptr<test::S3rverProcess> s3rver_;
};

TEST_F(S3TreeProperty, SameTreeOnDiskAndInS3GivesSameAnswers) {
  const auto races = sample_races();
  std::atomic<int> case_number = 0;
  auto property = [&] {
    const int n = case_number++;
    const auto started = std::chrono::steady_clock::now();
    const Tree tree = gen_tree(races);
    RC_PRE(s3rver_lists_in_byte_order(tree));
    const auto root = s3rver_->dir() / ("local-" + std::to_string(n));
    fs::remove_all(root);
    // The local root exists even for an empty tree, as an empty bucket does.
    fs::create_directories(root);
    LocalStore local(root);
    S3StoreOptions options;
    options.list_page_size = *rc::gen::resize(100, rc::gen::inRange(3, 400));
    const std::string prefix = "prop/case " + std::to_string(n) + "/";
    S3Store s3(s3rver_->settings(prefix), options);
    for (const auto& [key, bytes] : tree) RC_ASSERT(local.write_all(key, bytes).has_value());
    auto s3_write = write_in_parallel(s3, tree);
    if (!s3_write.empty()) RC_FAIL(s3_write);
    RC_TAG(tree.size() > 1000 ? "more than 1000 keys" : "under 1000 keys");

    // Every key exactly once, in order, with its size, across however many pages.
    auto s3_listing = s3.list("", std::nullopt);
    if (!s3_listing) RC_FAIL("S3 list: " + s3_listing.error().describe());
    auto local_listing = local.list("", std::nullopt);
    RC_ASSERT(local_listing.has_value());
    std::vector<std::pair<std::string, std::uint64_t>> expected, from_s3, from_disk;
    for (const auto& [key, bytes] : tree) expected.emplace_back(key, bytes.size());
    for (const auto& o : s3_listing->objects) from_s3.emplace_back(o.key, o.size);
    for (const auto& o : local_listing->objects) from_disk.emplace_back(o.key, o.size);
    RC_ASSERT(from_s3 == expected);
    RC_ASSERT(from_disk == expected);

    // A track's folder, and the top level with a delimiter. A tree can be empty (RapidCheck
    // shrinks towards it): then begin() is end(), and its key is memory past the map.
    const std::string first_key = tree.empty() ? std::string() : tree.begin()->first;
    const std::string some_track = first_key.substr(0, first_key.find('/') + 1);
    auto a = s3.list(some_track, std::nullopt), b = local.list(some_track, std::nullopt);
    RC_ASSERT(a.has_value() && b.has_value());
    RC_ASSERT(a->objects.size() == b->objects.size());
    for (std::size_t i = 0; i < a->objects.size(); ++i) RC_ASSERT(a->objects[i].key == b->objects[i].key);
    auto c = s3.list("", '/'), d = local.list("", '/');
    RC_ASSERT(c.has_value() && d.has_value());
    RC_ASSERT(c->common_prefixes == d->common_prefixes);
    RC_ASSERT(c->objects.size() == d->objects.size());

    // Same catalog, same analysis.
    auto s3_catalog = Catalog::build(s3);
    auto local_catalog = Catalog::build(local);
    RC_ASSERT(s3_catalog.has_value() && local_catalog.has_value());
    RC_ASSERT(catalog_summary(*s3_catalog).dump() == catalog_summary(*local_catalog).dump());
    for (const auto& track : local_catalog->tracks()) {
      const TrackCatalog* remote_track = s3_catalog->find_track(track.id);
      RC_ASSERT(remote_track != nullptr);
      for (const auto& session : track.sessions) {
        const SessionFiles* remote_session = remote_track->find_session(session.id);
        RC_ASSERT(remote_session != nullptr);
        RC_ASSERT(analysis_summary(s3, *remote_track, *remote_session).dump() ==
                  analysis_summary(local, track, session).dump());
      }
    }

    // boto3 reads what S3Store wrote, S3Store reads what boto3 wrote, byte for byte.
    std::vector<std::string> keys;
    for (const auto& [key, bytes] : tree)
      if (keys.size() < 3 && (one_in(3) || keys.empty())) keys.push_back(key);
    const std::string boto3_key = "boto3 " + *gen_name() + "/" + *gen_name() + ".bin";
    const std::string boto3_bytes = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    const auto boto3_file = root / "boto3-upload";
    std::ofstream(boto3_file, std::ios::binary) << boto3_bytes;
    json ops = json::array();
    for (std::size_t i = 0; i < keys.size(); ++i)
      ops.push_back({{"op", "get"},
                     {"key", prefix + keys[i]},
                     {"file", (root / ("boto3-get-" + std::to_string(i))).string()}});
    ops.push_back({{"op", "put"}, {"key", prefix + boto3_key}, {"file", boto3_file.string()}});
    auto boto3 = s3rver_->boto3(ops);
    if (boto3 != "ok\n") RC_FAIL("boto3: " + boto3);
    for (std::size_t i = 0; i < keys.size(); ++i)
      RC_ASSERT(file_bytes(root / ("boto3-get-" + std::to_string(i))) == tree.at(keys[i]));
    auto read_back = s3.read_all(boto3_key);
    if (!read_back) RC_FAIL("S3Store read of boto3's object: " + read_back.error().describe());
    RC_ASSERT(*read_back == boto3_bytes);
    fs::remove_all(root);
    std::fprintf(stderr, "case %d: %zu keys, %.1f s\n", n, tree.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = kTreeCases;
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = "same tree on disk and in S3";
  auto result = rc::detail::checkTestable(property, metadata, params);
  rc::detail::printResultMessage(result, std::cerr);
  EXPECT_TRUE(result.is<rc::detail::SuccessResult>());
}

// Deterministic companion of the property: 1003 keys listed with S3's own page size, a
// small one and a tiny one, every key exactly once and in order.
TEST_F(S3TreeProperty, ListingReturnsEveryKeyOnceAcrossPages) {
  S3Store writer(s3rver_->settings("pages/"));
  std::vector<std::string> keys;
  for (int i = 0; i < 1003; ++i)
    keys.push_back("t é/Race " + std::to_string(i % 3) + "/k " + std::to_string(i));
  std::sort(keys.begin(), keys.end());
  Tree tree;
  for (const auto& key : keys) tree[key] = key;
  ASSERT_EQ(write_in_parallel(writer, tree), "");
  for (int page : {1000, 250, 7}) {
    S3StoreOptions options;
    options.list_page_size = page;
    S3Store s3(s3rver_->settings("pages/"), options);
    auto listing = s3.list("", std::nullopt);
    ASSERT_TRUE(listing) << listing.error().describe();
    std::vector<std::string> listed;
    for (const auto& o : listing->objects) listed.push_back(o.key);
    EXPECT_EQ(listed, keys) << "page size " << page;
  }
}

}  // namespace
}  // namespace apex
