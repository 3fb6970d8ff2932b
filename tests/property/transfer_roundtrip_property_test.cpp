// Property: `apex upload --delete` and `apex download` never lose or corrupt data, over random
// trees whose names end in ".apex-partial", hold "..", unicode or ESC, and random folders that
// become unreadable (a dangling symbolic link in place of the folder) between two uploads:
// - nothing under a folder that could not be read is deleted from the bucket, and such an
//   upload exits non-zero;
// - every file `apex download` leaves is byte-identical to its object, and an object it did
//   not write means a non-zero exit.
// Against s3rver on loopback.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "integration/upload_test_support.h"
#include "storage/s3_store.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
namespace up = apex::test::upload;

constexpr int kRoundTripCases = 5;

rc::Gen<std::string> gen_odd_name() {
  static const std::vector<std::string> pieces = {"a",       "Z", "7", "é", "東", "..", ".apex-partial",
                                                  "\x1b[1m", " ", "-"};
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                      [](const std::vector<std::string>& parts) {
                        std::string name = "n";
                        for (const auto& p : parts) name += p;
                        return name;
                      });
}

// Files one or two folders deep, under a few top-level folders ("t0".."t2"): the unit a run
// may find unreadable. The file name always ends in ".csv" (never a folder name) unless it
// ends in ".apex-partial", a download's old temporary name.
rc::Gen<std::string> gen_tree_path() {
  return rc::gen::map(rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::maybe(gen_odd_name()), gen_odd_name(),
                                     rc::gen::arbitrary<bool>()),
                      [](const std::tuple<int, rc::Maybe<std::string>, std::string, bool>& t) {
                        std::string path = "t" + std::to_string(std::get<0>(t)) + "/";
                        if (std::get<1>(t)) path += "d" + *std::get<1>(t) + "/";
                        return path + std::get<2>(t) + (std::get<3>(t) ? ".apex-partial" : ".csv");
                      });
}

std::map<std::string, std::string> objects_under(S3Store& bucket, const std::string& prefix) {
  std::map<std::string, std::string> out;
  auto listing = bucket.list(prefix, std::nullopt);
  if (!listing) return out;
  for (const auto& object : listing->objects)
    out[object.key] = bucket.read_all(object.key).value_or("<unreadable>");
  return out;
}

TEST(TransferRoundTripProperty, NothingUnreadIsDeletedAndEveryDownloadIsExact) {
  up::S3rver s3rver;
  ASSERT_TRUE(s3rver.error.empty()) << s3rver.error;
  const fs::path work = up::fresh_dir("apex-roundtrip-property");
  S3Settings settings;
  settings.bucket = up::kUploadBucket;
  settings.access_key_id = "S3RVER";
  settings.secret_access_key = "S3RVER";
  settings.endpoint_url = s3rver.endpoint();
  settings.prefix = "";
  S3Store bucket(settings);
  int case_number = 0;

  auto property = [&] {
    const auto paths =
        *rc::gen::resize(10, rc::gen::nonEmpty(rc::gen::container<std::set<std::string>>(gen_tree_path())));
    const auto made_unreadable = *rc::gen::container<std::vector<bool>>(3, rc::gen::arbitrary<bool>());
    std::set<int> unreadable;
    for (int t = 0; t < 3; ++t)
      if (made_unreadable[static_cast<std::size_t>(t)]) unreadable.insert(t);
    const std::string prefix = "case" + std::to_string(case_number++) + "/";
    const fs::path tree = work / "tree";
    fs::remove_all(tree);
    int i = 0;
    for (const auto& path : paths) up::write_file(tree / fs::path(path), "bytes of #" + std::to_string(i++));
    const auto env = up::s3rver_env(s3rver.endpoint());
    const std::string options = " --prefix " + up::quote_arg(prefix) + " --delete --yes --jobs 4";
    up::run_apex("upload tree" + options, env, work);
    const auto before = objects_under(bucket, prefix);

    // The chosen top-level folders become dangling links; the rest is rewritten.
    for (int t : unreadable) {
      fs::remove_all(tree / ("t" + std::to_string(t)));
      fs::create_symlink(work / "gone", tree / ("t" + std::to_string(t)));
    }
    for (const auto& path : paths)
      if (fs::exists(tree / fs::path(path))) up::write_file(tree / fs::path(path), "rewritten " + path);
    auto second = up::run_apex("upload tree" + options, env, work);
    const auto after = objects_under(bucket, prefix);
    for (const auto& [key, bytes] : before) {
      const std::string top = key.substr(prefix.size(), key.find('/', prefix.size()) - prefix.size());
      const bool under_unreadable = top.size() == 2 && unreadable.contains(top[1] - '0');
      if (!under_unreadable) continue;
      RC_ASSERT(after.contains(key));
      RC_ASSERT(after.at(key) == bytes);
    }
    if (!unreadable.empty()) RC_ASSERT(second.code != 0);

    const fs::path copy = work / "copy";
    fs::remove_all(copy);
    auto download = up::run_apex(
        "download --prefix " + up::quote_arg(prefix) + " " + up::quote_arg(copy.string()), env, work);
    bool all_written = true;
    for (const auto& [key, bytes] : after) {
      const fs::path file = copy / fs::path(key.substr(prefix.size()));
      if (!fs::exists(file)) {
        all_written = false;
        continue;
      }
      RC_ASSERT(up::read_file(file) == bytes);
    }
    if (!all_written) RC_ASSERT(download.code != 0);
    for (const auto& entry : fs::recursive_directory_iterator(fs::exists(copy) ? copy : work / "tree")) {
      if (!fs::exists(copy)) break;
      if (!entry.is_regular_file()) continue;
      const std::string key = prefix + fs::relative(entry.path(), copy).generic_string();
      RC_ASSERT(after.contains(key));  // no temporary or stray file left behind
    }
  };
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = kRoundTripCases;
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = "upload --delete and download never lose or corrupt data";
  auto result = rc::detail::checkTestable(property, metadata, params);
  rc::detail::printResultMessage(result, std::cerr);
  EXPECT_TRUE(result.is<rc::detail::SuccessResult>());
  fs::remove_all(work);
}

}  // namespace
}  // namespace apex
